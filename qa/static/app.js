// Sanad's chat page: no build step, no dependencies.
// Article text and answers are data: they reach the page only through textContent / text nodes.
"use strict";

const KEY_STORAGE = "sanad.apiKey";
const state = { sessionId: null, key: localStorage.getItem(KEY_STORAGE) || "", busy: false };
const $ = (id) => document.getElementById(id);

// --- language and direction -------------------------------------------------------------------

function isArabicLetter(cp) {
  return (cp >= 0x0600 && cp <= 0x06ff) || (cp >= 0x0750 && cp <= 0x077f) || (cp >= 0x08a0 && cp <= 0x08ff) ||
    (cp >= 0xfb50 && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfeff);
}

// "ar" when at least half of the letters are Arabic script (as the server decides), else "en".
function languageOf(text) {
  let letters = 0, arabic = 0;
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    letters += 1;
    if (isArabicLetter(ch.codePointAt(0))) arabic += 1;
  }
  if (letters === 0) return "ar";
  return arabic / letters >= 0.5 ? "ar" : "en";
}

function setDirection(el, text, language) {
  const lang = language || languageOf(text);
  el.lang = lang;
  el.dir = lang === "ar" ? "rtl" : "ltr";
  return lang;
}

// Server offsets count code points (Python str indices); JS strings count UTF-16 units.
function codePointToIndex(text, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n += 1) {
    i += text.codePointAt(i) > 0xffff ? 2 : 1;
  }
  return i;
}

// --- HTTP ---------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "error";
  }
}

function headers(extra) {
  const h = { "Content-Type": "application/json", ...(extra || {}) };
  if (state.key) h.Authorization = `Bearer ${state.key}`;
  return h;
}

async function request(method, path, body, accept) {
  const response = await fetch(path, {
    method,
    headers: headers(accept ? { Accept: accept } : {}),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401) showKeyForm(data && data.error ? data.error.message : "");
    throw new ApiError(response.status, data);
  }
  return response;
}

// Reads a text/event-stream body and calls onEvent(name, data) for each event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
    if (done) return;
  }
}

// --- API key ------------------------------------------------------------------------------------

function showKeyForm(message) {
  $("key-form").hidden = false;
  const error = $("key-error");
  error.hidden = !state.key;
  error.textContent = state.key ? (message || "المفتاح غير صحيح · Wrong key") : "";
  $("key-input").focus();
}

async function probe() {
  try {
    await request("GET", "/v1/models");
    $("key-form").hidden = true;
    return true;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) console.warn(err);
    return false;
  }
}

// --- rendering ----------------------------------------------------------------------------------

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function citeButton(citation) {
  const button = element("button", "cite", `[${citation.n}]`);
  button.type = "button";
  button.dataset.n = String(citation.n);
  button.title = citation.title || citation.article_id;
  button.addEventListener("click", () => openCitation(citation));
  return button;
}

// The answer text with its [n] markers turned into buttons (everything else stays text).
function answerText(answer) {
  const p = element("p", "text");
  const byN = new Map(answer.citations.map((c) => [c.n, c]));
  const marker = /\[(\d+)\]/g;
  let last = 0;
  for (const m of answer.answer.matchAll(marker)) {
    const citation = byN.get(Number(m[1]));
    if (!citation) continue;
    p.append(document.createTextNode(answer.answer.slice(last, m.index)), citeButton(citation));
    last = m.index + m[0].length;
  }
  p.append(document.createTextNode(answer.answer.slice(last)));
  return p;
}

// The quote, with the short answer (an exact span of the article inside it) in bold.
function quoteWithShortAnswer(citation, short) {
  const quote = element("q");
  const inside = short && short.citation === citation.n && short.start >= citation.start && short.end <= citation.end;
  if (!inside) {
    quote.textContent = citation.quote;
    return quote;
  }
  const a = short.start - citation.start;
  const b = short.end - citation.start;
  quote.append(
    document.createTextNode(citation.quote.slice(0, a)),
    element("strong", "short-answer", citation.quote.slice(a, b)),
    document.createTextNode(citation.quote.slice(b)),
  );
  return quote;
}

// The other articles that state the cited sentence, each with its own quote, and the independent origins.
function corroborations(c, lang) {
  const box = document.createDocumentFragment();
  const also = c.corroborated_by || [];
  if (!also.length) return box;
  const list = element("ul", "also");
  for (const o of also) {
    const li = element("li");
    const where = [o.source, o.date].filter(Boolean).join(" · ");
    li.append(element("span", "title", `${lang === "ar" ? "ورد أيضاً في" : "Also in"}: ${o.title || o.article_id}${where ? ` (${where})` : ""} `));
    const quote = element("q", "quote", o.quote);
    setDirection(quote, o.quote);
    li.append(quote);
    list.append(li);
  }
  const count = element("span", "origins", lang === "ar" ? `مصادر مستقلة: ${c.origins}` : `Independent origins: ${c.origins}`);
  box.append(list, count);
  return box;
}

function renderAnswer(item, answer, asked) {
  item.classList.remove("pending");
  item.replaceChildren();
  const lang = setDirection(item, answer.answer, answer.language);
  if (asked && answer.question && answer.question !== asked) {
    const rewrite = element("p", "rewrite", answer.question);
    setDirection(rewrite, answer.question);
    item.append(rewrite);
  }
  const insufficient = answer.status === "insufficient_evidence";
  item.classList.toggle("insufficient", insufficient);
  item.dataset.status = answer.status;
  if (insufficient) {
    item.append(element("span", "badge", lang === "ar" ? "المصادر لا تذكر ذلك" : "The sources do not say"));
  }
  item.append(answerText(answer));
  if (answer.citations.length) {
    const refs = element("ol", "refs");
    for (const c of answer.citations) {
      const li = element("li");
      li.append(citeButton(c), element("span", "title", ` ${c.title || c.article_id} `));
      const quote = quoteWithShortAnswer(c, answer.short_answer);
      setDirection(quote, c.quote);
      li.append(quote);
      for (const d of c.dates || []) {
        const when = d.range ? `${d.range[0]} – ${d.range[1]}` : d.date;
        const span = element("span", "date", `${d.text} = ${when}`);
        setDirection(span, d.text);
        li.append(" ", span);
      }
      li.append(corroborations(c, lang));
      refs.append(li);
    }
    item.append(refs);
  }
  const seconds = answer.timings && answer.timings.total;
  const t = answer.time;
  const period = t && t.since ? `${t.since} – ${t.until}` : t && t.latest ? "الأحدث أولًا · newest first" : "";
  const parts = [period, answer.mode, answer.model, seconds ? `${seconds.toFixed(2)} s` : ""];
  const foot = element("div", "footer", parts.filter(Boolean).join(" · "));
  const topic = answer.question || asked;
  if (topic) {
    const open = element("button", "quiet timeline-open", "الخط الزمني · Timeline");
    open.type = "button";
    open.addEventListener("click", () => openTimeline(topic));
    foot.append(" ", open);
  }
  item.append(foot);
}

function addMessage(role, text) {
  const item = element("li", `msg ${role}`);
  if (text !== undefined) {
    const p = element("p", "text", text);
    item.append(p);
    setDirection(item, text);
  }
  $("log").append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

// --- the article beside the chat ----------------------------------------------------------------

async function openCitation(citation) {
  const panel = $("article");
  const body = $("article-text");
  const warning = $("article-warning");
  panel.hidden = false;
  warning.hidden = true;
  $("article-title").textContent = citation.title || citation.article_id;
  $("article-meta").textContent = "…";
  body.replaceChildren();
  let article;
  try {
    const response = await request("GET", `/v1/articles/${encodeURIComponent(citation.article_id)}`);
    article = await response.json();
  } catch (err) {
    warning.hidden = false;
    warning.textContent = err.message;
    $("article-meta").textContent = "";
    return;
  }
  $("article-title").textContent = article.title || article.id;
  setDirection($("article-title"), article.title || article.id);
  $("article-meta").textContent = [article.source, article.date, article.id].filter(Boolean).join(" · ");
  const text = article.text;
  const start = codePointToIndex(text, citation.start);
  const end = codePointToIndex(text, citation.end);
  const mark = element("mark", "", text.slice(start, end));
  mark.id = "highlight";
  mark.dataset.n = String(citation.n);
  body.append(document.createTextNode(text.slice(0, start)), mark, document.createTextNode(text.slice(end)));
  setDirection(body, text);
  if (mark.textContent !== citation.quote) {
    warning.hidden = false;
    warning.textContent = "النص عند هذا الموضع تغيّر منذ الإجابة · The article changed since this answer";
  }
  mark.scrollIntoView({ block: "center" });
}

// --- the timeline of a topic: its dated events in date order, each opens its article -------------

function dayLabel(e) {
  return e.range ? `${e.range[0]} – ${e.range[1]}` : e.date;
}

async function openTimeline(topic) {
  const panel = $("timeline");
  const list = $("timeline-events");
  panel.hidden = false;
  list.replaceChildren();
  $("timeline-meta").textContent = "…";
  setDirection($("timeline-meta"), topic);
  let timeline;
  try {
    const response = await request("GET", `/v1/timeline?q=${encodeURIComponent(topic)}`);
    timeline = await response.json();
  } catch (err) {
    $("timeline-meta").textContent = err.message;
    return;
  }
  $("timeline-meta").textContent = `${topic} · ${timeline.events.length}`;
  timeline.events.forEach((e, i) => {
    const li = element("li", "event");
    li.dataset.date = dayLabel(e);
    const open = element("button", "quiet day", dayLabel(e));
    open.type = "button";
    open.addEventListener("click", () => openCitation({ ...e, n: i + 1 }));
    const quote = element("q", "", e.quote);
    setDirection(quote, e.quote);
    const copies = e.corroboration > 1 ? ` · ×${e.corroboration}` : "";
    li.append(open, " ", quote, element("span", "source", ` ${e.title || e.article_id}${copies}`));
    list.append(li);
  });
  panel.scrollIntoView({ block: "nearest" });
}

// --- asking -------------------------------------------------------------------------------------

async function ask(question) {
  addMessage("user", question);
  const item = addMessage("assistant pending", "…");
  setDirection(item, question);
  const preview = item.querySelector(".text");
  let started = false;
  try {
    const response = await request(
      "POST", "/v1/chat", { message: question, session_id: state.sessionId }, "text/event-stream",
    );
    await readEvents(response, (name, data) => {
      if (name === "token") {
        if (!started) { preview.textContent = ""; started = true; }
        preview.textContent += data.text;
      } else if (name === "answer") {
        state.sessionId = data.session_id;
        renderAnswer(item, data.answer, question);
      } else if (name === "error") {
        throw new ApiError(500, data);
      }
    });
  } catch (err) {
    item.classList.remove("pending");
    item.replaceChildren(element("p", "error", err.message));
    if (err instanceof ApiError && err.code === "not_found") state.sessionId = null;
  }
  item.scrollIntoView({ block: "end" });
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy;
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("question");
    const question = input.value.trim();
    if (!question || state.busy) return;
    input.value = "";
    setBusy(true);
    try { await ask(question); } finally { setBusy(false); input.focus(); }
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    state.key = $("key-input").value.trim();
    if (state.key) localStorage.setItem(KEY_STORAGE, state.key);
    else localStorage.removeItem(KEY_STORAGE);
    $("key-input").value = "";
    if (await probe()) $("question").focus();
  });
  $("new-chat").addEventListener("click", () => {
    if (state.sessionId) {
      request("DELETE", `/v1/chat/${encodeURIComponent(state.sessionId)}`).catch(() => {});
    }
    state.sessionId = null;
    $("log").replaceChildren();
    $("article").hidden = true;
    $("timeline").hidden = true;
    $("question").focus();
  });
  $("article-close").addEventListener("click", () => { $("article").hidden = true; });
  $("timeline-close").addEventListener("click", () => { $("timeline").hidden = true; });
  probe();
});
