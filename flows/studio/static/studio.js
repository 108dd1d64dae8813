// bookvoice studio: browse, listen, retake, edit, fix pronunciation. Every piece of book text is inserted as
// text (textContent / attribute values), never as markup.
"use strict";

const TOKEN = document.querySelector('meta[name="studio-token"]').content;
const state = {chapter: null, lines: [], current: -1, chain: false, playAfter: null, jobs: {}};

function withToken(path) {
  const url = new URL(path, document.baseURI);
  url.searchParams.set("token", TOKEN);
  return url.pathname + url.search;
}

async function getJSON(path) {
  const response = await fetch(withToken(path));
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

async function post(path, body) {
  const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json", "X-Studio-Token": TOKEN},
                                      body: JSON.stringify(body || {})});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || data.detail || response.statusText);
  return data;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(error) {
  const status = document.getElementById("job-status");
  status.textContent = "error: " + error.message;
  status.dataset.state = "error";
}

// ---- book and chapters ----------------------------------------------------------------------------------------
async function loadBook() {
  const book = await getJSON("api/book");
  const list = document.getElementById("chapters");
  list.replaceChildren(...book.chapters.map(c => el("li", {},
    el("a", {href: "#", class: "chapter-link", dataset: {chapter: c.index},
             onclick: event => { event.preventDefault(); openChapter(c.index); }},
       `${c.index}. ${c.title || "(untitled)"}`), el("span", {class: "count"}, ` ${c.sentences}`))));
  const stale = new Set(book.stale_edits);
  document.getElementById("edits").replaceChildren(...book.edits.map(e => el("li", {class: stale.has(e.label) ? "stale" : ""},
    lineLink(e.label), " ", el("del", {}, e.original), " → ", el("ins", {}, e.text), stale.has(e.label) ? " (stale: the book changed here)" : "")));
  return book;
}

function lineLink(label) {
  return el("a", {href: "#", class: "line-link", onclick: event => { event.preventDefault(); goTo(label); }}, label);
}

async function goTo(label) {
  const chapter = Number(label.split(".")[0]);
  if (state.chapter !== chapter) await openChapter(chapter);
  select(state.lines.findIndex(line => line.label === label));
}

async function openChapter(index, keep) {
  const data = await getJSON(`api/chapter/${index}`);
  const previous = state.chapter === index && keep ? state.lines[state.current] : null;
  state.chapter = index;
  state.lines = data.lines;
  document.getElementById("chapter-title").textContent = `${data.index}. ${data.title}`;
  const container = document.getElementById("lines");
  const blocks = [];
  let paragraph = null;
  data.lines.forEach((line, i) => {
    if (!paragraph || paragraph.dataset.paragraph !== String(line.paragraph)) {
      paragraph = el("div", {class: line.paragraph < 0 ? "paragraph title" : "paragraph", dataset: {paragraph: line.paragraph}});
      blocks.push(paragraph);
    }
    paragraph.append(lineRow(line, i));
  });
  container.replaceChildren(...blocks);
  container.dataset.chapter = index;
  container.dataset.version = Number(container.dataset.version || 0) + 1;    // each re-render of the lines
  document.querySelectorAll(".chapter-link").forEach(a => a.classList.toggle("active", a.dataset.chapter === String(index)));
  const again = previous ? state.lines.findIndex(line => line.label === previous.label) : -1;
  state.current = -1;
  if (again >= 0) select(again, true);
}

function normWithPolyphones(line) {
  const marks = new Map(line.polyphones.map(p => [p.index, p]));
  const chars = Array.from(line.norm);
  const parts = [];
  let plain = "";
  chars.forEach((ch, offset) => {    // polyphone indices count code points, as Array.from does
    const mark = marks.get(offset);
    if (mark) {
      if (plain) { parts.push(plain); plain = ""; }
      const alternatives = mark.alternatives.length ? ` (also ${mark.alternatives.join(", ")})` : "";
      parts.push(el("span", {class: mark.low ? "poly low" : "poly", title: `${mark.reading}${alternatives} · ${mark.source}`},
        ch, el("sup", {}, mark.reading)));
    } else {
      plain += ch;
    }
  });
  if (plain) parts.push(plain);
  return parts;
}

function lineRow(line, i) {
  const badges = [
    line.cached ? el("span", {class: "badge duration"}, `${line.duration_s.toFixed(2)} s`) : el("span", {class: "badge pending"}, "no audio yet"),
    el("span", {class: "badge take", title: `seed ${line.seed}`}, `take ${line.take}/${line.takes}`),
    ...line.flags.map(flag => el("span", {class: "badge flag"}, flag)),
    line.low ? el("span", {class: "badge low"}, "polyphone?") : null,
    line.edited ? el("span", {class: "badge edited", title: `book text: ${line.original}`}, "edited") : null,
    line.approved ? el("span", {class: "badge approved"}, "approved") : null,
  ];
  return el("div", {class: "line", tabindex: "0", dataset: {label: line.label, index: i},
                    onclick: event => { if (!event.target.closest("button")) select(i); }},
    el("div", {class: "head"}, el("span", {class: "label"}, line.label), ...badges),
    el("p", {class: "text"}, line.text),
    el("p", {class: "norm"}, ...normWithPolyphones(line)),
    el("p", {class: "phones"}, line.phones),
    el("div", {class: "actions"},
      el("button", {type: "button", class: "play", onclick: () => { select(i); play(i, false); }}, "▶ Play"),
      el("button", {type: "button", class: "play-from", onclick: () => { select(i); play(i, true); }}, "▶▶ From here"),
      el("button", {type: "button", class: "retake", onclick: () => newTake(i)}, "New take"),
      el("button", {type: "button", class: "takes-button", onclick: () => showTakes(i)}, "Takes"),
      el("button", {type: "button", class: "approve", onclick: () => approve(i)}, line.approved ? "Unapprove" : "Approve"),
      el("button", {type: "button", class: "edit", onclick: () => editText(i)}, "Edit text")),
    el("div", {class: "takes"}));
}

function rowOf(i) {
  return document.querySelector(`.line[data-index="${i}"]`);
}

function select(i, quiet) {
  if (i < 0 || i >= state.lines.length) return;
  document.querySelectorAll(".line.selected").forEach(row => row.classList.remove("selected"));
  state.current = i;
  const row = rowOf(i);
  row.classList.add("selected");
  if (!quiet) row.scrollIntoView({block: "nearest"});
}

// ---- listening -----------------------------------------------------------------------------------------------
const player = document.getElementById("player");

function play(i, chain, seed) {
  const line = state.lines[i];
  if (!line) return;
  state.chain = chain;
  select(i);
  document.querySelectorAll(".line.playing").forEach(row => row.classList.remove("playing"));
  rowOf(i).classList.add("playing");
  const take = seed === undefined ? `v=${line.seed}` : `seed=${seed}`;
  player.src = withToken(`audio/${encodeURIComponent(line.label)}.wav?${take}`);
  player.play().catch(showError);
}

player.addEventListener("ended", () => {
  document.querySelectorAll(".line.playing").forEach(row => row.classList.remove("playing"));
  if (state.chain && state.current + 1 < state.lines.length) play(state.current + 1, true);
});

// ---- actions ---------------------------------------------------------------------------------------------------
async function runAction(promise, i) {
  try {
    const job = await promise;
    if (job && job.id) {
      state.jobs[job.id] = job;
      if (i !== undefined) state.playAfter = {job: job.id, label: state.lines[i].label};
      setStatus(job);
    }
    await openChapter(state.chapter, true);
  } catch (error) {
    showError(error);
  }
}

function newTake(i) {
  select(i);
  runAction(post(`api/line/${encodeURIComponent(state.lines[i].label)}/take`), i);
}

function approve(i) {
  const line = state.lines[i];
  runAction(post(`api/line/${encodeURIComponent(line.label)}/approve`, {approved: !line.approved}));
}

async function showTakes(i) {
  const line = state.lines[i];
  const box = rowOf(i).querySelector(".takes");
  try {
    const data = await getJSON(`api/line/${encodeURIComponent(line.label)}/takes`);
    box.replaceChildren(...data.takes.map((take, n) => el("span", {class: take.in_use ? "take in-use" : "take"},
      `take ${n + 1} (seed ${take.seed})`,
      take.cached ? el("button", {type: "button", class: "listen-take", onclick: () => play(i, false, take.seed)}, "▶") : " (no audio)",
      take.in_use ? " in use" : el("button", {type: "button", class: "pick-take",
        onclick: () => runAction(post(`api/line/${encodeURIComponent(line.label)}/pick`, {seed: take.seed}), i)}, "Use"))));
  } catch (error) {
    showError(error);
  }
}

function editText(i) {
  const line = state.lines[i];
  const row = rowOf(i);
  const area = el("textarea", {class: "edit-text", rows: 3});
  area.value = line.text;
  const form = el("div", {class: "edit-form"}, area,
    el("button", {type: "button", class: "save-text", onclick: () =>
      runAction(post(`api/line/${encodeURIComponent(line.label)}/text`, {text: area.value}), i)}, "Save and re-render"),
    el("button", {type: "button", onclick: () => form.remove()}, "Cancel"),
    line.original !== null ? el("span", {class: "hint"}, "book text: ", line.original) : null);
  row.querySelector(".actions").after(form);
  area.focus();
}

async function lexicon(apply) {
  const word = document.getElementById("lex-word").value;
  const pron = document.getElementById("lex-pron").value;
  const error = document.getElementById("lex-error");
  error.hidden = true;
  try {
    if (apply) {
      await runAction(post("api/lexicon/apply", {word, pron}));
      document.getElementById("lex-result").hidden = true;
      return;
    }
    const preview = await post("api/lexicon/preview", {word, pron});
    document.getElementById("lex-count").textContent = preview.to_synthesize;
    document.getElementById("lex-lines-count").textContent = preview.lines.length;
    document.getElementById("lex-lines").replaceChildren(...preview.lines.map(line => el("li", {}, lineLink(line.label), " ", line.text)));
    document.getElementById("lex-result").hidden = false;
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  }
}

async function listFilter() {
  const kind = document.getElementById("filter").value;
  try {
    const data = await getJSON(`api/lines?filter=${encodeURIComponent(kind)}`);
    const results = document.getElementById("filter-results");
    results.replaceChildren(...data.lines.map(line => el("li", {}, lineLink(line.label), " ", line.text)));
    if (!data.lines.length) results.append(el("li", {class: "hint"}, "none"));
  } catch (error) {
    showError(error);
  }
}

// ---- progress --------------------------------------------------------------------------------------------------
function setStatus(job) {
  const status = document.getElementById("job-status");
  status.dataset.state = job.state;
  status.dataset.job = job.id;
  const totals = job.totals && job.totals.sentences !== undefined ? ` · ${job.totals.synthesized} synthesised, ${job.totals.cached} cached` : "";
  status.textContent = `#${job.id} ${job.description}: ${job.state}${job.error ? " — " + job.error : ""}${totals}`;
}

function stageBar(stage, total) {
  let bar = document.querySelector(`.stage[data-stage="${stage}"]`);
  if (!bar) {
    bar = el("div", {class: "stage", dataset: {stage}}, el("span", {class: "stage-name"}, stage), el("progress", {max: 1, value: 0}), el("span", {class: "stage-count"}));
    document.getElementById("stages").append(bar);
  }
  if (total !== undefined) {
    bar.querySelector("progress").max = Math.max(total, 1);
    bar.querySelector("progress").value = 0;
    bar.dataset.done = 0;
    bar.dataset.total = total;
  }
  return bar;
}

function onEvent(kind, data) {
  if (kind === "job") {
    state.jobs[data.id] = data;
    setStatus(data);
    if (data.state === "done" || data.state === "failed") {
      loadBook().catch(showError);
      if (state.chapter !== null) {
        openChapter(state.chapter, true).then(() => {
          const wanted = state.playAfter;
          if (wanted && wanted.job === data.id && data.state === "done") {
            state.playAfter = null;
            const i = state.lines.findIndex(line => line.label === wanted.label);
            if (i >= 0) play(i, false);
          }
        }).catch(showError);
      }
    }
  } else if (kind === "stage") {
    stageBar(data.stage, data.total);
  } else if (kind === "advanced") {
    const bar = stageBar(data.stage);
    bar.dataset.done = Number(bar.dataset.done || 0) + data.n;
    bar.querySelector("progress").value = Number(bar.dataset.done);
    bar.querySelector(".stage-count").textContent = ` ${bar.dataset.done}/${bar.dataset.total || "?"}`;
  } else if (kind === "landed") {
    const list = document.getElementById("landed");
    for (const label of data.labels) {
      list.prepend(el("li", {class: "landed"}, lineLink(label), " landed"));
      const row = document.querySelector(`.line[data-label="${CSS.escape(label)}"] .pending`);
      if (row) { row.textContent = "audio ready"; row.className = "badge ready"; }
    }
    while (list.children.length > 30) list.lastChild.remove();
  } else if (kind === "chapter_done") {
    document.getElementById("landed").prepend(el("li", {class: "chapter-done"}, `chapter ${data.chapter} assembled: ${data.title}`));
  }
}

function listen(after) {
  const source = new EventSource(withToken(`api/events?after=${after}`));
  for (const kind of ["job", "stage", "advanced", "landed", "chapter_done"]) {
    source.addEventListener(kind, event => onEvent(kind, JSON.parse(event.data)));
  }
}

// ---- keys ------------------------------------------------------------------------------------------------------
document.addEventListener("keydown", event => {
  if (event.target.matches("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
  const i = state.current;
  const keys = {
    "j": () => select(i + 1), "ArrowDown": () => select(i + 1),
    "k": () => select(i - 1), "ArrowUp": () => select(i - 1),
    " ": () => play(Math.max(i, 0), false), "c": () => play(Math.max(i, 0), true),
    "t": () => i >= 0 && newTake(i), "a": () => i >= 0 && approve(i), "e": () => i >= 0 && editText(i),
  };
  if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
});

// ---- start -----------------------------------------------------------------------------------------------------
document.getElementById("render-all").addEventListener("click", () => runAction(post("api/render")));
document.getElementById("lex-preview").addEventListener("click", () => lexicon(false));
document.getElementById("lex-apply").addEventListener("click", () => lexicon(true));
document.getElementById("filter-go").addEventListener("click", listFilter);

loadBook().then(book => {
  listen(book.events);
  for (const job of book.jobs) setStatus(job);
  if (book.chapters.length) return openChapter(book.chapters[0].index);
}).then(() => { document.body.dataset.ready = "true"; }).catch(showError);
