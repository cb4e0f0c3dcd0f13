# Prints "name type sha256" for every tensor of a GGUF file (llama.cpp's gguf-py reader).
import hashlib, os, sys
sys.path.insert(0, os.path.join(os.environ.get("LLAMA_CPP_SRC", os.path.expanduser("~/.cache/fsc-peers/llama.cpp-nlc3.22.1")), "gguf-py"))
from gguf import GGUFReader
r = GGUFReader(sys.argv[1])
for t in sorted(r.tensors, key=lambda t: t.name):
    print(t.name, t.tensor_type.name, hashlib.sha256(t.data.tobytes()).hexdigest())
