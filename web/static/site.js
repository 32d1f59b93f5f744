/* Progressive enhancement only: every page works without this file (keyboard and screen readers included). */
(function () {
  "use strict";

  // "Chọn tất cả": a checkbox that ticks every box of its group (data-select-all="<group>")
  document.querySelectorAll("input[data-select-all]").forEach(function (master) {
    var group = master.getAttribute("data-select-all");
    var boxes = function () { return document.querySelectorAll('input[type=checkbox][data-group="' + group + '"]'); };
    master.addEventListener("change", function () {
      boxes().forEach(function (box) {
        box.checked = master.checked;
        if (box.hasAttribute("data-select-all")) { box.dispatchEvent(new Event("change")); }
      });
    });
  });

  // irreversible actions: the form carries a required confirmation box; a dialog asks once more before sending
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // a criterion saved without reloading the page: the form is sent as it is (same route, same CSRF token),
  // the redirect's page is read, and only what changed is swapped in: the criterion's own section, the
  // progress, the hints of the actions and the dossier's version in every form. The person keeps their
  // place; focus goes to the criterion's heading and the result is read out by the live region. Anything
  // unexpected (an error, an old browser) falls back to sending the form the ordinary way.
  var live = document.getElementById("thong-bao-luu");

  function swap(doc, id) {
    var mine = document.getElementById(id);
    var fresh = doc.getElementById(id);
    if (mine && fresh) { mine.replaceWith(fresh); }
    return fresh;
  }

  function partial(form) {
    form.addEventListener("submit", function (event) {
      var section = form.closest("section[id]");
      if (!window.fetch || !window.DOMParser || !section || form.hasAttribute("data-sending")) { return; }
      event.preventDefault();
      form.setAttribute("data-sending", "1");
      var body = new FormData(form);
      if (event.submitter && event.submitter.name) { body.append(event.submitter.name, event.submitter.value); }
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (text) { return { ok: response.ok && response.redirected, text: text }; });
        })
        .then(function (result) {
          var doc = new DOMParser().parseFromString(result.text, "text/html");
          if (!result.ok || !doc.getElementById(section.id)) { throw new Error("not saved"); }
          var fresh = swap(doc, section.id);
          swap(doc, "tien-do");
          swap(doc, "da-danh-gia");
          document.querySelectorAll("form.panel[id^='form-'] p.missing").forEach(function (hint) {
            var owner = hint.closest("form");
            var again = owner && doc.getElementById(owner.id);
            var freshHint = again && again.querySelector("p.missing");
            if (freshHint) { hint.replaceWith(freshHint); } else { hint.remove(); }
          });
          var version = doc.querySelector("input[name=version]");
          if (version) {
            document.querySelectorAll("input[name=version]").forEach(function (input) { input.value = version.value; });
          }
          var flash = doc.querySelector(".flash.success");
          if (flash && live) { live.textContent = flash.textContent; }
          if (flash && fresh) { fresh.insertBefore(flash, fresh.children[1] || null); }
          var heading = fresh && fresh.querySelector("h3");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
          fresh.querySelectorAll("form[data-partial]").forEach(partial);
        })
        .catch(function () {
          form.setAttribute("data-sending", "1");
          form.submit();
        });
    });
  }
  document.querySelectorAll("form[data-partial]").forEach(partial);
})();
