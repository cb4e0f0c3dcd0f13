package fsc.ir.interp;

import fsc.ir.DType;

/**
 * Element-wise reference kernels. Floating-point work is done in double and rounded once on store;
 * integer and bool work in long, so i64 values stay exact.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static HostTensor binary(Call c) {
        HostTensor a = c.in(0);
        HostTensor b = c.in(1);
        HostTensor out = c.newOutput();
        String op = c.node().op();
        boolean floating = a.dtype().isFloat() || b.dtype().isFloat();
        long fmod = op.equals("mod") ? c.node().intAttr("fmod") : 0; // only mod declares fmod
        long[] aShape = a.shape();
        long[] bShape = b.shape();
        for (long i = 0; i < out.size(); i++) {
            long ia = Index.broadcast(c.outShape(), aShape, i);
            long ib = Index.broadcast(c.outShape(), bShape, i);
            if (out.dtype() == DType.BOOL) {
                out.setLong(
                        i,
                        floating
                                ? compare(op, a.getDouble(ia), b.getDouble(ib))
                                : compare(op, a.getLong(ia), b.getLong(ib)));
            } else if (out.dtype().isFloat()) {
                out.setDouble(i, arithmetic(op, a.getDouble(ia), b.getDouble(ib), fmod));
            } else {
                out.setLong(i, arithmetic(c, op, a.getLong(ia), b.getLong(ib), fmod));
            }
        }
        return out;
    }

    private static double arithmetic(String op, double x, double y, long fmod) {
        return switch (op) {
            case "add" -> x + y;
            case "sub" -> x - y;
            case "mul" -> x * y;
            case "div" -> x / y;
            case "pow" -> Math.pow(x, y);
            case "max" -> Math.max(x, y);
            case "min" -> Math.min(x, y);
            // fmod=1 is C fmod (sign of the dividend); fmod=0 takes the sign of the divisor.
            case "mod" -> fmod != 0 ? x % y : x - y * Math.floor(x / y);
            default -> throw new IllegalStateException("not an arithmetic op: " + op);
        };
    }

    private static long arithmetic(Call c, String op, long x, long y, long fmod) {
        return switch (op) {
            case "add" -> x + y;
            case "sub" -> x - y;
            case "mul" -> x * y;
            case "div" -> {
                if (y == 0) {
                    throw c.fail("integer division by zero");
                }
                yield x / y;
            }
            case "pow" -> (long) Math.pow(x, y);
            case "bitwise_and" -> x & y;
            case "bitwise_or" -> x | y;
            case "bitwise_xor" -> x ^ y;
            // Unsigned operands (zero-extended, u64 as raw bits): shifting by the width or more gives
            // 0, as numpy does; setLong keeps the low bits of a left shift.
            case "bit_shift_left" -> Long.compareUnsigned(y, 64) >= 0 ? 0 : x << y;
            case "bit_shift_right" -> Long.compareUnsigned(y, 64) >= 0 ? 0 : x >>> y;
            case "max" -> Math.max(x, y);
            case "min" -> Math.min(x, y);
            case "mod" -> {
                if (y == 0) {
                    throw c.fail("integer modulo by zero");
                }
                yield fmod != 0 ? x % y : Math.floorMod(x, y);
            }
            default -> throw new IllegalStateException("not an arithmetic op: " + op);
        };
    }

    private static long compare(String op, double x, double y) {
        boolean r =
                switch (op) {
                    case "equal" -> x == y;
                    case "less" -> x < y;
                    case "less_or_equal" -> x <= y;
                    case "greater" -> x > y;
                    case "greater_or_equal" -> x >= y;
                    default -> throw new IllegalStateException("not a comparison: " + op);
                };
        return r ? 1 : 0;
    }

    private static long compare(String op, long x, long y) {
        boolean r =
                switch (op) {
                    case "equal" -> x == y;
                    case "less" -> x < y;
                    case "less_or_equal" -> x <= y;
                    case "greater" -> x > y;
                    case "greater_or_equal" -> x >= y;
                    case "and" -> x != 0 && y != 0;
                    case "or" -> x != 0 || y != 0;
                    case "xor" -> (x != 0) != (y != 0);
                    default -> throw new IllegalStateException("not a comparison: " + op);
                };
        return r ? 1 : 0;
    }

    static HostTensor unary(Call c) {
        HostTensor x = c.in(0);
        HostTensor out = c.newOutput();
        String op = c.node().op();
        boolean tanh = op.equals("gelu") && c.node().strAttr("approximate").equals("tanh");
        for (long i = 0; i < out.size(); i++) {
            if (x.dtype().isFloat()) {
                out.setDouble(i, unary(op, x.getDouble(i), tanh));
            } else if (isExactOnIntegers(op)) {
                out.setLong(i, unary(op, x.getLong(i)));
            } else {
                out.setDouble(i, unary(op, x.getDouble(i), tanh));
            }
        }
        return out;
    }

    private static boolean isExactOnIntegers(String op) {
        return switch (op) {
            case "neg", "abs", "sign", "relu", "identity", "not", "floor", "ceil", "round", "bitwise_not" -> true;
            default -> false;
        };
    }

    private static long unary(String op, long x) {
        return switch (op) {
            case "neg" -> -x;
            case "abs" -> Math.abs(x);
            case "sign" -> Long.signum(x);
            case "relu" -> Math.max(x, 0);
            case "not" -> x != 0 ? 0 : 1;
            case "bitwise_not" -> ~x;
            case "identity", "floor", "ceil", "round" -> x;
            default -> throw new IllegalStateException("not an integer unary op: " + op);
        };
    }

    private static double unary(String op, double x, boolean tanh) {
        return switch (op) {
            case "neg" -> -x;
            case "abs" -> Math.abs(x);
            case "sqrt" -> Math.sqrt(x);
            case "reciprocal" -> 1 / x;
            case "exp" -> Math.exp(x);
            case "log" -> Math.log(x);
            case "erf" -> MathFunctions.erf(x);
            case "tanh" -> Math.tanh(x);
            case "sigmoid" -> MathFunctions.sigmoid(x);
            case "relu" -> Math.max(x, 0);
            case "floor" -> Math.floor(x);
            case "ceil" -> Math.ceil(x);
            // ONNX Round rounds halves to even, as Math.rint does.
            case "round" -> Math.rint(x);
            case "sign" -> Math.signum(x);
            case "not" -> x != 0 ? 0 : 1;
            case "identity" -> x;
            case "sin" -> Math.sin(x);
            case "cos" -> Math.cos(x);
            case "tan" -> Math.tan(x);
            case "asin" -> Math.asin(x);
            case "acos" -> Math.acos(x);
            case "atan" -> Math.atan(x);
            case "sinh" -> Math.sinh(x);
            case "cosh" -> Math.cosh(x);
            case "asinh" -> MathFunctions.asinh(x);
            case "acosh" -> MathFunctions.acosh(x);
            case "atanh" -> MathFunctions.atanh(x);
            case "gelu" -> MathFunctions.gelu(x, tanh);
            case "silu" -> x * MathFunctions.sigmoid(x);
            default -> throw new IllegalStateException("not a unary op: " + op);
        };
    }

    /** Integer sources keep exact longs; floats go through double, which {@code setDouble} rounds or truncates. */
    static HostTensor cast(Call c) {
        HostTensor x = c.in(0);
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            if (x.dtype().isFloat()) {
                out.setDouble(i, x.getDouble(i));
            } else if (out.dtype().isFloat()) {
                out.setDouble(i, x.getDouble(i));
            } else {
                out.setLong(i, x.getLong(i));
            }
        }
        return out;
    }

    /** Bounds from scalar operands 1 and 2, or attributes {@code min}/{@code max}; absent bounds do not clip. */
    static HostTensor clip(Call c) {
        HostTensor x = c.in(0);
        boolean floating = x.dtype().isFloat();
        HostTensor lo = c.in().size() > 1 ? c.in(1) : null;
        HostTensor hi = c.in().size() > 2 ? c.in(2) : null;
        double min = lo != null ? lo.getDouble(0) : bound(c, "min", Double.NEGATIVE_INFINITY);
        double max = hi != null ? hi.getDouble(0) : bound(c, "max", Double.POSITIVE_INFINITY);
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            if (floating) {
                out.setDouble(i, Math.min(Math.max(x.getDouble(i), min), max));
            } else {
                long v = x.getLong(i);
                long lowest = lo != null ? lo.getLong(0) : c.node().has("min") ? (long) min : Long.MIN_VALUE;
                long highest = hi != null ? hi.getLong(0) : c.node().has("max") ? (long) max : Long.MAX_VALUE;
                out.setLong(i, Math.min(Math.max(v, lowest), highest));
            }
        }
        return out;
    }

    /** A folded bound attribute; absent means no bound on that side ({@code unbounded} = ±infinity). */
    private static double bound(Call c, String attr, double unbounded) {
        return c.node().has(attr) ? c.node().floatAttr(attr) : unbounded;
    }

    static HostTensor where(Call c) {
        HostTensor cond = c.in(0);
        long[][] shapes = {cond.shape(), c.in(1).shape(), c.in(2).shape()};
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            int branch = cond.getLong(Index.broadcast(c.outShape(), shapes[0], i)) != 0 ? 1 : 2;
            Index.copy(c.in(branch), Index.broadcast(c.outShape(), shapes[branch], i), out, i);
        }
        return out;
    }
}
