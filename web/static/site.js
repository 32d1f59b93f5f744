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
})();
