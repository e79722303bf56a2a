"""ParsedTensorInfo: name-free shape, dtype and sparsity of a signature's input or output."""

import dataclasses

from hubmodels._keras import tf


@dataclasses.dataclass(frozen=True)
class ParsedTensorInfo:
    """What a signature expects or returns, printed like hub.Module's infos.

    shape: tf.TensorShape, unknown dimensions as None (printed as ?).
    dtype: tf.DType.
    is_sparse: True for a tf.SparseTensor.
    note: why this differs from the SignatureDef, e.g. "SignatureDef declares shape ()"
      when the graph's tensor contradicts it (empty when they agree).
    """

    shape: tf.TensorShape
    dtype: tf.DType
    is_sparse: bool = False
    note: str = dataclasses.field(default="", compare=False)

    @classmethod
    def from_proto(cls, proto) -> "ParsedTensorInfo":
        """From a SignatureDef's TensorInfo proto."""
        shape = tf.TensorShape(proto.tensor_shape)
        return cls(shape, tf.as_dtype(proto.dtype), proto.WhichOneof("encoding") == "coo_sparse")

    @classmethod
    def from_spec(cls, spec) -> "ParsedTensorInfo":
        """From a tf.TensorSpec, tf.SparseTensorSpec, or a (sparse) tensor."""
        sparse = isinstance(spec, (tf.SparseTensorSpec, tf.SparseTensor))
        return cls(tf.TensorShape(spec.shape), spec.dtype, sparse)

    def with_graph_tensor(self, shape, dtype) -> "ParsedTensorInfo":
        """This declared info checked against what the graph's tensor really has.

        Compatible shapes merge (the graph may know more dimensions); a contradicting
        shape or dtype is replaced by the graph's, and `note` says what was declared.
        """
        shape = tf.TensorShape(shape)
        dtype = tf.as_dtype(dtype)
        notes = [self.note] if self.note else []
        if dtype != self.dtype:
            notes.append(f"SignatureDef declares dtype {self.dtype.name}")
        if self.shape.is_compatible_with(shape):
            shape = self.shape.merge_with(shape)
        else:
            notes.append(f"SignatureDef declares shape {self.shape_text()}")
        return ParsedTensorInfo(shape, dtype, self.is_sparse, "; ".join(notes))

    def shape_text(self) -> str:
        if self.shape.rank is None:
            return "<unknown>"
        dims = ["?" if d is None else str(d) for d in self.shape.as_list()]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def to_json(self) -> dict:
        dims = None if self.shape.rank is None else self.shape.as_list()
        result = {"shape": dims, "dtype": self.dtype.name, "is_sparse": self.is_sparse}
        if self.note:
            result["note"] = self.note
        return result

    def __repr__(self):
        note = f" note={self.note!r}" if self.note else ""
        return (
            f"<hub.ParsedTensorInfo shape={self.shape_text()} dtype={self.dtype.name} "
            f"is_sparse={self.is_sparse}{note}>"
        )

    __str__ = __repr__
