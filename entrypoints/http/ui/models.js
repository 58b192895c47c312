// Model versions (chart, table, activate, roll back) and training jobs (progress, cancel, train, schedule).
import { lineChart, legend } from "./charts.js";
import { api, confirmAction, el, fail, fixed, recovered, replace, say, table, when } from "./dom.js";

export const shared = { versions: [], running: new Set(), finished: false, afterActivation: () => {} };

// The numeric /admin/train parameters. Their bounds are the form's min/max attributes in index.html
// (tests/unit/test_admin_ui_assets.py holds them to domain.model_version.TRAIN_BOUNDS); the API
// checks them again and its detail is shown when it refuses.
const TRAIN_NUMBERS = ["no_components", "epochs", "learning_rate", "item_alpha", "user_alpha"];

const METRICS = [
  ["precision@10", "precision_at_10", false],
  ["recall@10", "recall_at_10", false],
  ["AUC", "auc", false],
  ["popular precision@10", "popular_precision_at_10", true],
  ["popular recall@10", "popular_recall_at_10", true],
  ["popular AUC", "popular_auc", true],
];

const section = () => document.getElementById("versions");

async function activate(version, verb) {
  const sure = await confirmAction(`${verb} version ${version.model_id}? Every list will come from it.`);
  if (!sure) return;
  try {
    await api("POST", `/admin/models/${encodeURIComponent(version.model_id)}/activate`);
    say(section(), `version ${version.model_id} is active`);
  } catch (error) {
    fail(section(), error);
  }
  await Promise.all([loadVersions(), shared.afterActivation()]);
}

// The version to roll back to: the newest ready one older than the active one.
function previous(versions) {
  const active = versions.find((v) => v.is_active);
  if (!active) return null;
  return versions.find((v) => v.status === "ready" && !v.is_active && v.created_at < active.created_at) ?? null;
}

export async function loadVersions() {
  const panel = section();
  try {
    const { models } = await api("GET", "/admin/models");
    shared.versions = models;
    const oldestFirst = [...models].filter((m) => m.status === "ready").reverse();
    const series = METRICS.map(([name, key, dashed]) => ({
      name,
      dashed,
      points: oldestFirst.map((m) => ({ x: new Date(m.created_at), y: m.metrics[key], label: m.model_id })),
    }));
    replace(panel.querySelector(".chart"), lineChart(series), legend(series));
    const back = previous(models);
    replace(
      panel.querySelector(".actions"),
      back
        ? el("button", { type: "button", id: "rollback", onclick: () => activate(back, "Roll back to") }, `Roll back to ${back.model_id}`)
        : null,
    );
    const rows = models.map((m) => [
      el("code", {}, m.model_id),
      when(m.created_at),
      m.status,
      m.is_active ? el("strong", { class: "active-mark" }, "active") : "",
      fixed(m.metrics.precision_at_10),
      fixed(m.metrics.recall_at_10),
      fixed(m.metrics.auc),
      fixed(m.metrics.popular_precision_at_10),
      m.dataset.n_interactions,
      fixed(m.train_seconds, 1),
      m.is_active || m.status !== "ready"
        ? ""
        : el("button", { type: "button", class: "activate", "data-model": m.model_id, onclick: () => activate(m, "Activate") }, "Activate"),
    ]);
    const headers = ["version", "created", "status", "", "P@10", "R@10", "AUC", "popular P@10", "interactions", "train s", ""];
    replace(panel.querySelector(".body"), models.length ? table(headers, rows) : el("p", { class: "note" }, "no version yet"));
    fillVersionChoice(models);
    recovered(panel);
  } catch (error) {
    fail(panel, error);
  }
}

// The user explorer's "beside" list: any ready version.
function fillVersionChoice(models) {
  const select = document.querySelector("#user-form select[name=version]");
  const kept = select.value;
  replace(
    select,
    models.filter((m) => m.status === "ready").map((m) => el("option", { value: m.model_id }, `${m.model_id}${m.is_active ? " (active)" : ""}`)),
  );
  if ([...select.options].some((o) => o.value === kept)) select.value = kept;
}

// --- jobs ---
const jobsPanel = () => document.getElementById("jobs");

async function cancel(job) {
  const sure = await confirmAction(`Cancel job ${job.job_id} (${job.status})?`);
  if (!sure) return;
  try {
    await api("DELETE", `/admin/jobs/${encodeURIComponent(job.job_id)}`);
    say(jobsPanel(), `job ${job.job_id} cancelled`);
  } catch (error) {
    fail(jobsPanel(), error);
  }
  await loadJobs();
}

function progress(job) {
  const percent = Math.round((job.progress ?? 0) * 100);
  return el("span", { class: "progress" }, el("progress", { max: "1", value: String(job.progress ?? 0) }), ` ${percent} %`);
}

// Returns whether a job is scheduled or running (the poll's pace).
export async function loadJobs() {
  const panel = jobsPanel();
  try {
    const { jobs } = await api("GET", "/admin/jobs");
    const running = new Set(jobs.filter((j) => j.status === "running").map((j) => j.job_id));
    if ([...shared.running].some((id) => !running.has(id))) shared.finished = true;
    shared.running = running;
    const rows = jobs.slice(0, 30).map((j) => [
      el("code", {}, j.job_id),
      j.trigger,
      el("span", { class: `status ${j.status}` }, j.status),
      progress(j),
      when(j.scheduled_at ?? j.created_at),
      when(j.finished_at),
      j.model_id ? el("code", {}, j.model_id) : "–",
      [j.error, j.activation, j.note].filter(Boolean).join(" · "),
      j.status === "scheduled" || j.status === "running"
        ? el("button", { type: "button", class: "cancel", onclick: () => cancel(j) }, "Cancel")
        : "",
    ]);
    const headers = ["job", "trigger", "status", "progress", "planned", "finished", "version", "notes", ""];
    replace(panel.querySelector(".body"), jobs.length ? table(headers, rows) : el("p", { class: "note" }, "no job yet"));
    recovered(panel);
    return jobs.some((j) => j.status === "running" || j.status === "scheduled");
  } catch (error) {
    fail(panel, error);
    return false;
  }
}

function trainParams(form) {
  const values = {};
  for (const name of TRAIN_NUMBERS) {
    const raw = form.elements[name].value.trim();
    if (raw !== "") values[name] = Number(raw);
  }
  values.loss = form.elements.loss.value;
  values.mode = form.elements.mode.value;
  values.normalize_features = form.elements.normalize_features.checked;
  if (form.elements.activate.value) values.activate = form.elements.activate.value === "true";
  return values;
}

export function setUpJobs({ reload }) {
  const form = document.getElementById("train-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const job = await api("POST", "/admin/train", { body: { ...trainParams(form), wait: false } });
      shared.running.add(job.job_id);
      say(jobsPanel(), `training job ${job.job_id} started`);
    } catch (error) {
      fail(jobsPanel(), error);
    }
    await loadJobs();
  });
  document.getElementById("schedule").addEventListener("click", async () => {
    const local = document.getElementById("schedule-at").value;
    const moment = new Date(local);
    if (!local || Number.isNaN(moment.getTime())) {
      say(jobsPanel(), "choose a date and time to schedule the training at", "error");
      return;
    }
    try {
      // sent with the browser's offset, so REC_TIMEZONE does not reinterpret it
      const job = await api("POST", "/admin/schedule-training", {
        query: { scheduled_at: moment.toISOString() },
        body: trainParams(form),
      });
      say(jobsPanel(), `job ${job.job_id} scheduled at ${when(job.scheduled_at)}`);
    } catch (error) {
      fail(jobsPanel(), error);
    }
    await reload();
  });
}
