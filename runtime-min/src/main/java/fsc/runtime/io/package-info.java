/**
 * Tensor files for the artifact's command line and tests: NumPy {@code .npy} ({@link
 * fsc.runtime.io.Npy}) and ONNX {@code TensorProto} {@code .pb} ({@link
 * fsc.runtime.io.OnnxTensorFile}, with a hand-written protobuf wire codec since the runtime depends
 * on the JDK only). Malformed files fail with a {@link fsc.runtime.RuntimeFailure} naming the file
 * and byte offset.
 */
package fsc.runtime.io;
