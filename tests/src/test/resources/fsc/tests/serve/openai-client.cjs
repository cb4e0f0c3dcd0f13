// Drives `fsc serve` with the official OpenAI Node client, as an application would, and prints one
// JSON object with what came back; OpenAiClientTest checks it. Environment: FSC_OPENAI_DIR (where
// the `openai` package is installed), FSC_BASE_URL, FSC_API_KEY, FSC_CHAT_MODEL, FSC_EMBED_MODEL.
const path = require('path');
const OpenAI = require(path.join(process.env.FSC_OPENAI_DIR, 'node_modules', 'openai')).default;

async function main() {
  const client = new OpenAI({ baseURL: process.env.FSC_BASE_URL, apiKey: process.env.FSC_API_KEY, maxRetries: 0 });
  const chatModel = process.env.FSC_CHAT_MODEL;
  const out = {};

  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  out.models = models;

  const c = await client.completions.create({ model: chatModel, prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
  out.completion = { model: c.model, text: c.choices[0].text, finish: c.choices[0].finish_reason, usage: c.usage };

  const chat = await client.chat.completions.create({
    model: chatModel,
    messages: [{ role: 'system', content: 'You tell stories.' }, { role: 'user', content: 'Tell me one.' }],
    max_tokens: 8,
    temperature: 0,
    logprobs: true,
    top_logprobs: 2,
  });
  out.chat = {
    model: chat.model,
    object: chat.object,
    role: chat.choices[0].message.role,
    content: chat.choices[0].message.content,
    finish: chat.choices[0].finish_reason,
    logprobs: chat.choices[0].logprobs.content.length,
    top: chat.choices[0].logprobs.content[0].top_logprobs.length,
    usage: chat.usage,
  };

  const stream = await client.chat.completions.create({
    model: chatModel,
    messages: [{ role: 'user', content: 'Tell me one.' }],
    max_tokens: 8,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.choices.length > 0) {
      text += chunk.choices[0].delta.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  out.stream = { text, chunks, finish, usage };

  const e = await client.embeddings.create({ model: process.env.FSC_EMBED_MODEL, input: ['a cat', 'a dog'] });
  out.embeddings = { model: e.model, count: e.data.length, dims: e.data[0].embedding.length };

  try {
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    out.missing = { status: 200 };
  } catch (err) {
    out.missing = { status: err.status, code: err.code ?? null, name: err.constructor.name };
  }

  const anonymous = new OpenAI({ baseURL: process.env.FSC_BASE_URL, apiKey: 'sk-not-a-key', maxRetries: 0 });
  try {
    await anonymous.models.list();
    out.badKey = { status: 200 };
  } catch (err) {
    out.badKey = { status: err.status, name: err.constructor.name };
  }
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error('openai-client: ' + (err.stack || err));
  process.exit(1);
});
