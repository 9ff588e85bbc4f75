// The playground: a client of the public API (/v1) with the key the user
// pastes. The key stays in this tab (sessionStorage) and goes to this
// server only. Server data is shown as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { key: "", plugin: null, validator: null, session: "playground-" + Math.random().toString(36).slice(2, 10) };

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.key}`, ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let problem = { title: response.statusText, detail: `${response.status} ${response.statusText}` };
    try { problem = await response.json(); } catch (_) { /* not problem+json */ }
    const error = new Error(problem.detail || problem.title);
    error.problem = problem;
    throw error;
  }
  return response;
}

function item(text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

// Connecting: the key is checked by listing the plugins.
$("connect").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.key = $("key").value.trim();
  try {
    const { plugins } = await (await api("/v1/plugins")).json();
    sessionStorage.setItem("kiln-key", state.key);
    const select = $("plugin");
    select.replaceChildren(...plugins.filter((p) => p.enabled).map((p) => new Option(`${p.type} (${p.name} ${p.version})`, p.type)));
    await choosePlugin(select.value);
    await refreshJobs();
    $("workspace").hidden = false;
    $("connection").textContent = `Connected: ${plugins.length} artifact types.`;
  } catch (error) {
    $("connection").textContent = `Not connected: ${error.message}`;
    $("workspace").hidden = true;
  }
});

$("plugin").addEventListener("change", (event) => choosePlugin(event.target.value));

// A quick second choice can overtake the first: only the latest one shows.
let choosing = 0;
async function choosePlugin(type) {
  const ticket = ++choosing;
  const plugin = await (await api(`/v1/plugins/${encodeURIComponent(type)}`)).json();
  if (ticket !== choosing) return;
  state.plugin = plugin;
  $("summary").textContent = plugin.summary;
  const ajv = new window.ajv2020({ allErrors: true, strict: false, validateFormats: false });
  state.validator = ajv.compile(plugin.spec_schema);
  $("example").replaceChildren(...plugin.examples.map((example, i) => new Option(example.title, String(i))));
  loadExample(0);
}

$("example").addEventListener("change", (event) => loadExample(Number(event.target.value)));

function loadExample(index) {
  const example = state.plugin.examples[index];
  $("spec").value = example ? JSON.stringify(example.spec, null, 2) : "{}";
  checkLocally();
}

// As you type: JSON syntax, then the plugin's JSON Schema.
let pending = null;
$("spec").addEventListener("input", () => {
  clearTimeout(pending);
  pending = setTimeout(checkLocally, 150);
});

function showProblems(source, problems) {
  $("problems").replaceChildren(...problems.map((p) => item(`${p.pointer || "(the whole spec)"}: ${p.message}`)));
  $("check").textContent = problems.length === 0
    ? `${source}: no problems.`
    : `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}.`;
  $("check").className = problems.length === 0 ? "ok" : "bad";
}

function parseSpec() {
  try {
    return { spec: JSON.parse($("spec").value) };
  } catch (error) {
    return { problem: { pointer: "", message: `not valid JSON: ${error.message}` } };
  }
}

function checkLocally() {
  const { spec, problem } = parseSpec();
  if (problem) return showProblems("Schema check", [problem]);
  state.validator(spec);
  const problems = (state.validator.errors || []).map((e) => ({
    pointer: e.instancePath,
    message: e.params && e.params.additionalProperty ? `${e.message}: ${e.params.additionalProperty}` : e.message,
  }));
  showProblems("Schema check", problems);
}

// The server's own check: the schema and the plugin's validate. A local
// check still waiting to run would overwrite its answer, so it is dropped.
$("validate").addEventListener("click", async () => {
  clearTimeout(pending);
  const { spec, problem } = parseSpec();
  if (problem) return showProblems("Server check", [problem]);
  try {
    await api(`/v1/plugins/${encodeURIComponent(state.plugin.type)}/validate`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(spec),
    });
    showProblems("Server check", []);
  } catch (error) {
    showProblems("Server check", error.problem && error.problem.violations ? error.problem.violations : [{ pointer: "", message: error.message }]);
  }
});

$("generate").addEventListener("click", async () => {
  const { spec, problem } = parseSpec();
  if (problem) return showProblems("Schema check", [problem]);
  $("events").replaceChildren();
  $("files").replaceChildren();
  $("job-progress").hidden = true;
  $("generate").disabled = true;
  try {
    const body = { type: state.plugin.type, session_id: state.session, spec };
    const job = await (await api("/v1/jobs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    })).json();
    $("job-state").textContent = `Job ${job.id}: ${job.state}`;
    await follow(job.id);
    await showJob(job.id);
  } catch (error) {
    $("job-state").textContent = `Refused: ${error.message}`;
    if (error.problem && error.problem.violations) {
      showProblems("Server check", error.problem.violations.map((v) => ({ ...v, pointer: v.pointer.replace(/^\/spec/, "") })));
    }
  } finally {
    $("generate").disabled = false;
    refreshJobs();
  }
});

// Server-sent events over fetch (EventSource cannot send the key).
async function follow(id) {
  const response = await api(`/v1/jobs/${id}/events`, { headers: { Accept: "text/event-stream" } });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n");
      if (data) onEvent(JSON.parse(data));
    }
  }
}

function onEvent(event) {
  let text = event.kind;
  if (event.kind === "progress" && event.data) {
    const { done, total, message } = event.data;
    text = `progress ${done}${total ? "/" + total : ""}${message ? ": " + message : ""}`;
    if (total) {
      $("job-progress").hidden = false;
      $("job-progress").max = total;
      $("job-progress").value = done;
    }
  }
  $("events").append(item(text, event.kind));
  $("job-state").textContent = `Job ${event.job_id}: ${event.kind}`;
}

async function showJob(id) {
  const job = await (await api(`/v1/jobs/${id}`)).json();
  $("job-state").textContent = `Job ${job.id}: ${job.state}` + (job.error ? ` (${job.error.message})` : "");
  const files = (job.artifacts || []).map((artifact) => {
    const li = item(`${artifact.filename} (${artifact.media_type}, ${artifact.size} bytes) `);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Download";
    button.addEventListener("click", () => download(artifact.links.content, artifact.filename));
    li.append(button);
    showPreview(li, artifact);
    return li;
  });
  $("files").replaceChildren(...files);
  $("bundle").hidden = files.length === 0;
}

// The file's first page, as the server renders it; a file without one
// says why.
async function showPreview(li, artifact) {
  const note = document.createElement("p");
  note.className = "preview-note";
  note.textContent = "Making a preview…";
  li.append(note);
  try {
    const blob = await (await api(`${artifact.links.self}/preview`)).blob();
    const img = document.createElement("img");
    img.className = "preview";
    img.alt = `Preview of ${artifact.filename}`;
    img.src = URL.createObjectURL(blob);
    note.replaceWith(img);
  } catch (error) {
    note.textContent = `No preview: ${error.message}`;
  }
}

$("bundle").addEventListener("click", () => download(`/v1/sessions/${state.session}/bundle`, `${state.session}.zip`));

// Downloads go through fetch, which sends the key, then hand the browser a blob.
async function download(url, filename) {
  const blob = await (await api(url)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

$("refresh").addEventListener("click", refreshJobs);

async function refreshJobs() {
  const { jobs } = await (await api("/v1/jobs?limit=10")).json();
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  $("jobs").tBodies[0].replaceChildren(...jobs.map((job) => {
    const tr = document.createElement("tr");
    tr.className = job.state;
    const usage = job.usage;
    tr.append(
      cell(job.id.slice(0, 8)), cell(job.type), cell(job.state), cell(new Date(job.created_at).toLocaleTimeString()),
      cell(usage ? `${(usage.wall_time_us / 1000).toFixed(1)} ms` : ""),
      cell(usage ? `${(usage.peak_memory_bytes / 1048576).toFixed(1)} MiB` : ""),
    );
    return tr;
  }));
}

// A key from earlier in this tab connects at once.
const saved = sessionStorage.getItem("kiln-key");
if (saved) {
  $("key").value = saved;
  $("connect").requestSubmit();
}
