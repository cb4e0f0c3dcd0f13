package fsc.passes;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The command-line identity of a {@link Pass}: {@code --passes fold,dce} and the dump file
 * {@code 01-fold.fsir} use {@link #name()}; {@code fsc opt --list-passes} prints {@link #summary()}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PassInfo {
    /** Lower kebab case, e.g. {@code plan-memory}. */
    String name();

    /** One line saying what the pass does. */
    String summary();
}
