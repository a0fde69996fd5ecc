"""Bytes to messages: the source text (encodings, limits), the tokenizer, and the recovering,
position-keeping text-format parser into ``caffe_pb2`` messages."""
