package fsc.runtime.serve.chat;

/**
 * A chat template that cannot be parsed or rendered, or that refused the conversation through
 * {@code raise_exception(...)}: the server answers 400 with this message.
 */
public final class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }
}
