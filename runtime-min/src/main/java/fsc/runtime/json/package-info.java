/** A small strict JSON reader and writer ({@link fsc.runtime.json.Json}) for tokenizer files and the HTTP server. */
package fsc.runtime.json;
