"""ParsedTensorInfo: name-free shape, dtype and sparsity of a signature's input or output."""

import dataclasses

from hubmodels._keras import tf


@dataclasses.dataclass(frozen=True)
class ParsedTensorInfo:
    """What a signature expects or returns, printed like hub.Module's infos.

    shape: tf.TensorShape, unknown dimensions as None (printed as ?).
    dtype: tf.DType.
    is_sparse: True for a tf.SparseTensor.
    """

    shape: tf.TensorShape
    dtype: tf.DType
    is_sparse: bool = False

    @classmethod
    def from_proto(cls, proto) -> "ParsedTensorInfo":
        """From a SignatureDef's TensorInfo proto."""
        shape = tf.TensorShape(proto.tensor_shape)
        return cls(shape, tf.as_dtype(proto.dtype), proto.WhichOneof("encoding") == "coo_sparse")

    @classmethod
    def from_spec(cls, spec) -> "ParsedTensorInfo":
        """From a tf.TensorSpec or tf.SparseTensorSpec."""
        return cls(tf.TensorShape(spec.shape), spec.dtype, isinstance(spec, tf.SparseTensorSpec))

    def shape_text(self) -> str:
        if self.shape.rank is None:
            return "<unknown>"
        dims = ["?" if d is None else str(d) for d in self.shape.as_list()]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def to_json(self) -> dict:
        dims = None if self.shape.rank is None else self.shape.as_list()
        return {"shape": dims, "dtype": self.dtype.name, "is_sparse": self.is_sparse}

    def __repr__(self):
        return (
            f"<hub.ParsedTensorInfo shape={self.shape_text()} dtype={self.dtype.name} "
            f"is_sparse={self.is_sparse}>"
        )

    __str__ = __repr__
