// Experiments (contract section 12): per-arm lists, clicks, CTR with its 95 % interval; start, stop, promote.
import { intervalBar } from "./charts.js";
import { api, confirmAction, el, fail, fixed, recovered, replace, say, table, when } from "./dom.js";
import { loadVersions, shared } from "./models.js";

const section = () => document.getElementById("experiments");

async function stop(experiment, promote) {
  const what = promote ? `Stop ${experiment.name} and serve arm ${promote}'s version to everyone?` : `Stop ${experiment.name} without promoting an arm?`;
  if (!(await confirmAction(what))) return;
  try {
    await api("POST", `/admin/experiments/${encodeURIComponent(experiment.experiment_id)}/stop`, { body: { promote: promote ?? null } });
    say(section(), promote ? `${experiment.name} stopped, ${promote} promoted` : `${experiment.name} stopped`);
  } catch (error) {
    fail(section(), error);
  }
  await Promise.all([loadExperiments(), loadVersions(), shared.afterActivation()]);
}

function experimentView(experiment) {
  const top = Math.max(0.01, ...experiment.arms.map((a) => (Number.isFinite(a.ctr_high) ? a.ctr_high : 0)));
  const running = experiment.status === "running";
  const rows = experiment.arms.map((arm) => [
    arm.name,
    el("code", {}, arm.model_id),
    fixed(arm.share, 2),
    arm.lists,
    arm.clicked_lists,
    arm.events,
    fixed(arm.ctr),
    `${fixed(arm.ctr_low)} – ${fixed(arm.ctr_high)}`,
    intervalBar(arm.ctr_low, arm.ctr, arm.ctr_high, top),
    running ? el("button", { type: "button", class: "promote", onclick: () => stop(experiment, arm.name) }, "Stop and promote") : "",
  ]);
  return el(
    "article",
    { class: "experiment", "data-experiment": experiment.experiment_id },
    el("h3", {}, experiment.name, " ", el("span", { class: `status ${experiment.status}` }, experiment.status)),
    el("p", { class: "note" }, `started ${when(experiment.started_at)}`, experiment.stopped_at ? ` · stopped ${when(experiment.stopped_at)}` : "",
      experiment.winner ? ` · winner ${experiment.winner}` : ""),
    table(["arm", "version", "share", "lists", "clicked", "events", "CTR", "95 % interval", "", ""], rows),
    running ? el("button", { type: "button", class: "stop", onclick: () => stop(experiment, null) }, "Stop") : null,
  );
}

export async function loadExperiments() {
  const panel = section();
  try {
    const { experiments } = await api("GET", "/admin/experiments");
    replace(
      panel.querySelector(".body"),
      experiments.length ? experiments.map(experimentView) : el("p", { class: "note" }, "no experiment yet"),
    );
    recovered(panel);
  } catch (error) {
    fail(panel, error); // a service without section 12's routes answers 404: its detail is shown
  }
}

function armRow(index) {
  const versions = shared.versions.filter((v) => v.status === "ready");
  return el(
    "div",
    { class: "arm" },
    el("label", {}, "arm ", el("input", { name: "arm_name", type: "text", value: String.fromCharCode(97 + index), maxlength: "64" })),
    el("label", {}, "version ", el("select", { name: "arm_model" }, versions.map((v) => el("option", { value: v.model_id }, v.model_id)))),
    el("label", {}, "share ", el("input", { name: "arm_share", type: "text", inputmode: "decimal", value: "0.5" })),
  );
}

export function setUpExperiments() {
  const form = document.getElementById("experiment-form");
  const arms = form.querySelector(".arms");
  const addArm = () => {
    if (arms.children.length < 4) arms.append(armRow(arms.children.length));
  };
  document.getElementById("add-arm").addEventListener("click", addArm);
  form.addEventListener("focusin", () => {
    if (arms.children.length === 0) {
      addArm();
      addArm();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...arms.querySelectorAll(".arm")].map((row) => ({
      name: row.querySelector("[name=arm_name]").value.trim(),
      model_id: row.querySelector("[name=arm_model]").value,
      share: Number(row.querySelector("[name=arm_share]").value),
    }));
    try {
      const started = await api("POST", "/admin/experiments", { body: { name: form.elements.name.value.trim(), arms: chosen } });
      say(section(), `experiment ${started.name} started`);
    } catch (error) {
      fail(section(), error);
    }
    await loadExperiments();
  });
}
