/** /settings: people (add, role, phone, remove), tokens (create, list, revoke), secrets (names, set, rotate; never values). Part of the one client script (see ../client.ts). */
export const SETTINGS_JS = String.raw`
// ---- /settings ---------------------------------------------------------------------------------

async function settingsPage(el) {
  const people = h("section", { "aria-labelledby": "people-title" });
  const tokens = h("section", { "aria-labelledby": "tokens-title" });
  const secrets = h("section", { "aria-labelledby": "secrets-title" });
  el.append(h("h1", {}, "Settings"), people, tokens, secrets);
  await Promise.all([drawPeople(people), drawTokens(tokens), drawSecrets(secrets)]);
}

/** Shows a token once, with the only chance to copy it. */
function shownOnce(token, who) {
  return h("div", { class: "secret-box", role: "status" }, [
    h("p", {}, "Token for " + who + " (shown once; copy it now and hand it over privately):"),
    h("code", { "data-token": "new" }, token),
  ]);
}

function failure(section, what, e) {
  section.append(h("p", { class: "error", role: "alert" }, what + " failed: " + e.message));
}

async function drawPeople(section) {
  const { users } = await api("GET", "/api/users");
  for (const u of users) state.names.set(u.id, u.name);
  const admin = can("admin");
  const rows = users.filter((u) => !u.removedAt).map((u) => {
    const role = h("select", { "aria-label": "Role of " + u.name, disabled: !admin || undefined }, ["viewer", "deployer", "admin"].map((r) => h("option", { value: r, selected: r === u.role || undefined }, r)));
    role.addEventListener("change", async () => {
      try {
        await api("PATCH", "/api/users/" + encodeURIComponent(u.id), { role: role.value });
        drawPeople(section);
      } catch (e) {
        role.value = u.role;
        failure(section, "Changing " + u.name + "'s role", e);
      }
    });
    const phone = h("input", { type: "tel", value: u.phone || "", "aria-label": "Phone of " + u.name, placeholder: "+15550000001", disabled: !admin || undefined, size: 14 });
    const savePhone = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        await api("PATCH", "/api/users/" + encodeURIComponent(u.id), { phone: phone.value.trim() || null });
        drawPeople(section);
      } catch (e) {
        failure(section, "Saving " + u.name + "'s phone", e);
      }
    } }, "Save phone");
    const remove = h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmAction("Remove " + u.name + "?", ["Their tokens stop working at once and their open pages are signed out. History keeps their name."], "Remove " + u.name))) return;
      try {
        await api("DELETE", "/api/users/" + encodeURIComponent(u.id));
        drawPeople(section);
      } catch (e) {
        failure(section, "Removing " + u.name, e);
      }
    } }, "Remove");
    return h("tr", { "data-user-id": u.id }, [
      h("td", {}, u.name + (state.me && u.id === state.me.id ? " (you)" : "")), h("td", {}, role),
      h("td", {}, admin ? [phone, " ", savePhone] : u.phone || ""), h("td", {}, admin && !(state.me && u.id === state.me.id) ? remove : ""),
    ]);
  });
  const parts = [
    h("h2", { id: "people-title" }, "People"),
    h("div", { class: "table-wrap" }, h("table", {}, [
      h("caption", { class: "visually-hidden" }, "People and their roles"),
      h("thead", {}, h("tr", {}, ["Name", "Role", "Phone", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ])),
  ];
  if (admin) {
    const name = h("input", { name: "name", required: true, maxlength: 100 });
    const role = h("select", { name: "role" }, ["viewer", "deployer", "admin"].map((r) => h("option", { value: r }, r)));
    const phone = h("input", { name: "phone", type: "tel", placeholder: "+15550000001" });
    const form = h("form", { class: "form-row", "aria-label": "Add a person" }, [
      h("label", {}, ["Name", name]), h("label", {}, ["Role", role]), h("label", {}, ["Phone (optional)", phone]),
      h("button", { type: "submit" }, "Add person"),
    ]);
    const result = h("div", {});
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const created = await api("POST", "/api/users", Object.assign({ name: name.value.trim(), role: role.value }, phone.value.trim() ? { phone: phone.value.trim() } : {}));
        await drawPeople(section);
        section.append(shownOnce(created.token, created.user.name));
      } catch (e) {
        failure(result, "Adding " + name.value, e);
      }
    });
    parts.push(h("h3", {}, "Add a person"), form, result);
  }
  section.replaceChildren(...parts);
}

async function drawTokens(section) {
  const { tokens } = await api("GET", "/api/tokens");
  const label = h("input", { name: "label", maxlength: 100, placeholder: "laptop, CI, …" });
  const days = h("input", { name: "expiresInDays", type: "number", min: 1, max: 3650, placeholder: "never" });
  const form = h("form", { class: "form-row", "aria-label": "Create a token for yourself" }, [
    h("label", {}, ["Label", label]), h("label", {}, ["Expires in days", days]), h("button", { type: "submit" }, "Create token"),
  ]);
  const result = h("div", {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("POST", "/api/users/" + encodeURIComponent(state.me.id) + "/tokens", Object.assign({}, label.value.trim() ? { label: label.value.trim() } : {}, days.value ? { expiresInDays: Number(days.value) } : {}));
      await drawTokens(section);
      section.append(shownOnce(created.token, "you"));
    } catch (e) {
      failure(result, "Creating a token", e);
    }
  });
  section.replaceChildren(
    h("h2", { id: "tokens-title" }, can("admin") ? "API tokens (everyone's)" : "Your API tokens"),
    h("div", { class: "table-wrap" }, h("table", {}, [
      h("caption", { class: "visually-hidden" }, "API tokens"),
      h("thead", {}, h("tr", {}, ["Token", "Person", "Created", "Last used", "Expires", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tokens.map((t) => h("tr", { "data-token-id": t.id }, [
        h("td", {}, (t.label ? t.label + " · " : "") + t.id), h("td", {}, nameOf(t.userId)), h("td", {}, clock(t.createdAt)),
        h("td", {}, t.lastUsedAt ? ago(t.lastUsedAt) : "never"), h("td", {}, t.expiresAt ? clock(t.expiresAt) : "never"),
        h("td", {}, h("button", { type: "button", class: "danger", "aria-label": "Revoke token " + (t.label || t.id), onclick: async () => {
          const own = state.me && t.userId === state.me.id;
          if (!(await confirmAction("Revoke " + (t.label || t.id) + "?", [own ? "Anything using it stops working at once — if this page uses it, you are signed out." : "Anything using it stops working at once, and its open pages are signed out."], "Revoke"))) return;
          try {
            await api("DELETE", "/api/tokens/" + encodeURIComponent(t.id));
            if (state.me) drawTokens(section);
          } catch (e) {
            failure(section, "Revoking", e);
          }
        } }, "Revoke")),
      ]))),
    ])),
    h("h3", {}, "Create a token for yourself"), form, result,
  );
}

async function drawSecrets(section) {
  const env = h("select", { "aria-label": "Environment of the secrets" }, state.envs.map((e) => h("option", { value: e, selected: e === $("env").value || undefined }, e)));
  const list = h("div", {});
  const draw = async () => {
    try {
      const { secrets } = await api("GET", "/api/envs/" + encodeURIComponent(env.value) + "/secrets");
      list.replaceChildren(secrets.length ? h("ul", { class: "plain", "aria-label": "Secret names" }, secrets.map((s) => h("li", {}, [h("code", {}, s.name), " · set " + clock(s.updatedAt)]))) : h("p", { class: "meta" }, "no secrets"));
    } catch (e) {
      list.replaceChildren(h("p", { class: "error" }, "Secrets unavailable: " + e.message));
    }
  };
  env.addEventListener("change", draw);
  const parts = [h("h2", { id: "secrets-title" }, "Secrets"), h("p", { class: "meta" }, "Names only: values are stored encrypted and never shown again, here or anywhere."), h("label", {}, ["Environment ", env]), list];
  if (can("admin")) {
    const name = h("input", { name: "name", required: true, pattern: "[A-Z][A-Z0-9_]*", placeholder: "STRIPE_SECRET_KEY" });
    const value = h("input", { name: "value", type: "password", required: true, autocomplete: "off" });
    const how = h("select", { name: "how" }, [h("option", { value: "set" }, "set now"), h("option", { value: "rotate" }, "rotate (a rotate-secret run)")]);
    const result = h("div", { role: "status" });
    const form = h("form", { class: "form-row", "aria-label": "Set or rotate a secret" }, [
      h("label", {}, ["Name", name]), h("label", {}, ["Value", value]), h("label", {}, ["How", how]), h("button", { type: "submit" }, "Save secret"),
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const path = "/api/envs/" + encodeURIComponent(env.value) + "/secrets/" + encodeURIComponent(name.value.trim());
      try {
        if (how.value === "rotate") {
          const { plan, run } = await api("POST", path + "/rotate", { value: value.value });
          result.replaceChildren(h("p", {}, ["Rotation planned: ", run ? link("/runs/" + run.id, "run " + run.id) : "plan " + plan.id + " (apply it in chat)", "."]));
        } else {
          await api("PUT", path, { value: value.value });
          result.replaceChildren(h("p", {}, name.value + " saved."));
        }
        value.value = "";
        draw();
      } catch (e) {
        value.value = "";
        result.replaceChildren(h("p", { class: "error", role: "alert" }, "Saving the secret failed: " + e.message));
      }
    });
    parts.push(h("h3", {}, "Set or rotate a secret"), form, result);
  }
  section.replaceChildren(...parts);
  await draw();
}
`;
