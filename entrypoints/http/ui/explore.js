// The blacklist, the user explorer (history beside the active version's list and another one's) and
// the title explorer (similar titles), every title shown with its name.
import { api, confirmAction, el, fail, fixed, recovered, replace, say, table, titleNames, when } from "./dom.js";
import { loadVersions, shared } from "./models.js";

const panel = (id) => document.getElementById(id);
const nameOf = (names, id) => (names.has(id) ? names.get(id).name : "(not in the catalogue)");

async function blacklist(titleId, reason) {
  const body = reason ? { reason } : undefined;
  await api("PUT", `/admin/blacklist/${encodeURIComponent(titleId)}`, { body });
}

// --- blacklist ---
export async function loadBlacklist() {
  const section = panel("blacklist");
  try {
    const { titles } = await api("GET", "/admin/blacklist");
    const names = titles.length ? await titleNames(titles.map((t) => t.title_id)) : new Map();
    const rows = titles.map((t) => [
      t.title_id,
      el("span", { class: "title-name" }, nameOf(names, t.title_id)),
      t.reason ?? "",
      t.source,
      t.source === "admin"
        ? el("button", { type: "button", class: "remove", onclick: () => unlist(t) }, "Remove")
        : el("span", { class: "note" }, "edit in the source"),
    ]);
    replace(
      section.querySelector(".body"),
      titles.length ? table(["title", "name", "reason", "from", ""], rows) : el("p", { class: "note" }, "no title is blacklisted"),
    );
    recovered(section);
  } catch (error) {
    fail(section, error);
  }
}

async function unlist(entry) {
  const section = panel("blacklist");
  const sure = await confirmAction(`Remove title ${entry.title_id} from the blacklist? It may be recommended again.`);
  if (!sure) return;
  try {
    await api("DELETE", `/admin/blacklist/${encodeURIComponent(entry.title_id)}`);
    say(section, `title ${entry.title_id} removed from the blacklist`);
  } catch (error) {
    fail(section, error);
  }
  await loadBlacklist();
}

// --- user explorer ---
function listColumn(heading, answer, names, onBlacklist) {
  if (answer.error) return el("div", { class: "list" }, el("h3", {}, heading), el("p", { class: "message error" }, answer.error.detail));
  const rows = answer.item_ids.map((id, i) => [
    i + 1,
    id,
    el("span", { class: "title-name" }, nameOf(names, id)),
    fixed(answer.scores[i]),
    el("button", { type: "button", class: "blacklist", onclick: () => onBlacklist(id) }, "Blacklist"),
  ]);
  return el(
    "div",
    { class: "list", "data-model": answer.model_id ?? "" },
    el("h3", {}, heading),
    el("p", {}, "version ", el("code", {}, answer.model_id ?? "none"), " · source ", el("strong", { class: "list-source" }, answer.source)),
    table(["#", "title", "name", "score", ""], rows),
  );
}

async function versionList(modelId, userId, k) {
  try {
    return await api("GET", `/admin/models/${encodeURIComponent(modelId)}/recommendations`, { query: { user_id: userId, k } });
  } catch (error) {
    return { error };
  }
}

async function explore(form) {
  const section = panel("users");
  const userId = form.elements.user_id.value.trim();
  const k = form.elements.k.value.trim();
  try {
    const user = await api("GET", `/admin/users/${encodeURIComponent(userId)}`);
    if (!shared.versions.length) await loadVersions();
    const active = shared.versions.find((v) => v.is_active);
    const chosen = form.elements.version.value;
    const lists = await Promise.all([
      active ? versionList(active.model_id, userId, k) : { error: { detail: "no version is active: every list is the popular list" } },
      chosen ? versionList(chosen, userId, k) : { error: { detail: "no version to compare with" } },
    ]);
    const ids = [...user.interactions.map((e) => e.title_id), ...lists.flatMap((l) => l.item_ids ?? [])];
    const names = ids.length ? await titleNames(ids) : new Map();
    const onBlacklist = async (titleId) => {
      try {
        await blacklist(titleId, "from the user explorer");
      } catch (error) {
        fail(section, error);
        return;
      }
      await Promise.all([loadBlacklist(), explore(form)]);
      say(section, `title ${titleId} blacklisted`);
    };
    const history = user.interactions.map((e) => [
      when(e.created_at),
      e.title_id,
      el("span", { class: "title-name" }, nameOf(names, e.title_id)),
      e.int_type,
      e.raw_score ?? "",
      el("span", { class: `origin ${e.source}` }, e.source),
    ]);
    const features = Object.entries(user.features).map(([name, weight]) => `${name}: ${fixed(weight, 2)}`);
    replace(
      section.querySelector(".body"),
      el("p", {}, `user ${user.user_id} · `, user.known_to_model ? "known to the active model" : "unknown to the active model",
        " · features: ", features.length ? features.join(", ") : "none"),
      el(
        "div",
        { class: "columns" },
        el("div", { class: "history" }, el("h3", {}, `History (${user.interactions.length})`),
          user.interactions.length ? table(["when", "title", "name", "type", "score", "from"], history) : el("p", { class: "note" }, "no interaction")),
        listColumn("Active version", lists[0], names, onBlacklist),
        listColumn("Beside it", lists[1], names, onBlacklist),
      ),
    );
    say(section, "");
  } catch (error) {
    fail(section, error);
  }
}

// --- title explorer ---
async function similar(form) {
  const section = panel("titles");
  const titleId = form.elements.title_id.value.trim();
  try {
    const details = await api("GET", "/admin/titles", { query: { ids: titleId } });
    const relevant = await api("GET", "/titles/relevant", { query: { title_id: titleId, k: form.elements.k.value.trim() } });
    const names = relevant.item_ids.length ? await titleNames(relevant.item_ids) : new Map();
    const [title] = details.titles;
    const state = title
      ? [title.is_active ? "active" : "inactive", title.blacklisted ? "blacklisted" : "", title.known_to_model ? "known to the model" : "unknown to the model"]
      : [];
    const features = title ? Object.entries(title.features).map(([n, w]) => `${n}: ${fixed(w, 2)}`) : [];
    const rows = relevant.item_ids.map((id, i) => [i + 1, id, el("span", { class: "title-name" }, nameOf(names, id)), fixed(relevant.scores[i])]);
    replace(
      section.querySelector(".body"),
      el("p", {}, el("strong", { class: "title-name" }, title ? title.name : "?"), ` · ${state.filter(Boolean).join(", ")}`),
      el("p", { class: "note" }, "features: ", features.length ? features.join(", ") : "none"),
      table(["#", "title", "name", "similarity"], rows),
    );
    say(section, "");
  } catch (error) {
    fail(section, error);
  }
}

export function setUpExplorers() {
  const userForm = panel("user-form");
  userForm.addEventListener("submit", (event) => {
    event.preventDefault();
    explore(userForm);
  });
  const titleForm = panel("title-form");
  titleForm.addEventListener("submit", (event) => {
    event.preventDefault();
    similar(titleForm);
  });
  const blacklistForm = panel("blacklist-form");
  blacklistForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const section = panel("blacklist");
    const titleId = blacklistForm.elements.title_id.value.trim();
    try {
      await blacklist(titleId, blacklistForm.elements.reason.value.trim());
      say(section, `title ${titleId} blacklisted`);
      blacklistForm.reset();
    } catch (error) {
      fail(section, error);
    }
    await loadBlacklist();
  });
}
