// The dashboard's start: the token, health, and the polling that keeps the panels current.
import { api, el, fail, onUnauthenticated, recovered, replace, table, token } from "./dom.js";
import { loadExperiments, setUpExperiments } from "./experiments.js";
import { loadBlacklist, setUpExplorers } from "./explore.js";
import { loadJobs, loadVersions, setUpJobs, shared } from "./models.js";

const panel = (id) => document.getElementById(id);

// --- the token ---
function setUpToken() {
  const form = panel("token-form");
  const message = panel("token-message");
  form.hidden = !token.get();
  onUnauthenticated((error) => {
    form.hidden = false;
    message.textContent = error.detail;
    message.className = "message error";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault(); // never a navigation: the token must not reach a URL
    const input = panel("token-input");
    const value = input.value.trim();
    input.value = "";
    if (!value) return;
    token.set(value);
    message.textContent = "token kept in this tab";
    message.className = "message info";
    await loadAll();
  });
  panel("token-forget").addEventListener("click", () => {
    token.clear();
    message.textContent = "token forgotten";
    message.className = "message info";
  });
}

// --- health, the served version, and who trains ---
function trainerNote(trainer) {
  const part = trainer.this_replica.is_trainer
    ? "this replica is the trainer"
    : trainer.this_replica.candidate
      ? "this replica is a candidate"
      : "this replica never trains";
  if (!trainer.shared) return `trainer: this process, alone with its registry (${part})`;
  if (!trainer.holder || !trainer.live) return `trainer: none live (last holder ${trainer.holder ?? "none"}; ${part})`;
  return `trainer: ${trainer.holder}, term ${trainer.epoch}, lease until ${trainer.expires_at} (${part})`;
}

async function loadHealth() {
  const section = panel("health");
  try {
    const [health, trainer] = await Promise.all([
      api("GET", "/health"),
      api("GET", "/admin/trainer").catch((error) => ({ error })),
    ]);
    replace(panel("served"), "served version: ", el("strong", { id: "served-model" }, health.model_id ?? "none (popular lists)"));
    const rows = Object.entries(health.components).map(([name, c]) => [
      name,
      el("span", { class: `badge ${c.status}` }, c.status),
      c.detail,
    ]);
    const said = trainer.error ? `trainer: not known (${trainer.error.message})` : trainerNote(trainer);
    replace(
      section.querySelector(".body"),
      el("p", {}, "status ", el("span", { class: `badge ${health.status}`, id: "health-status" }, health.status)),
      table(["component", "status", "detail"], rows),
      el("p", { id: "lease-holder", class: "note" }, said),
    );
    recovered(section);
  } catch (error) {
    fail(section, error);
  }
}

async function loadAll() {
  await Promise.all([loadHealth(), loadVersions(), loadJobs(), loadBlacklist(), loadExperiments()]);
}

// Jobs every second while one is scheduled or running, else every five; a job that ends brings
// the versions and the health again (a new version may serve).
async function poll() {
  const busy = await loadJobs();
  if (shared.finished) {
    shared.finished = false;
    await Promise.all([loadVersions(), loadHealth()]);
  }
  window.setTimeout(poll, busy ? 1000 : 5000);
}

function start() {
  shared.afterActivation = loadHealth;
  setUpToken();
  setUpJobs({ reload: loadAll });
  setUpExplorers();
  setUpExperiments();
  loadAll().then(() => window.setTimeout(poll, 1000));
  window.setInterval(() => {
    loadHealth();
    loadExperiments();
  }, 10000);
  document.body.dataset.ready = "true";
}

start();
