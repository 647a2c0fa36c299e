/* Forms of the panel: a refused form (the server said so at the top: “有 N 处需要修改”) scrolls to its first field in
   error and focuses it; every label of a required field carries a red * (Flask-Admin marks its own forms; this marks
   the hand-written ones, e.g. 不予受理 and 新增企业). */
(function () {
  "use strict";
  function markRequired(root) {
    root.querySelectorAll("input[required], select[required], textarea[required]").forEach(function (field) {
      if (!field.id) return;
      var label = root.querySelector('label[for="' + field.id + '"]');
      if (!label || label.querySelector(".required-mark, strong.text-danger")) return;
      var mark = document.createElement("strong");
      mark.className = "text-danger required-mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = " *";
      label.appendChild(mark);
    });
  }
  function focusFirstError() {
    var field = document.querySelector("form .is-invalid, form .has-error input, form .has-error select, form .has-error textarea");
    if (!field) return;
    var shown = field;
    if (field.tagName === "SELECT" || field.type === "hidden") {  // select2 hides the select: scroll to its box
      var box = document.getElementById("s2id_" + field.id);
      if (box) shown = box;
    }
    shown.scrollIntoView({block: "center"});
    try { field.focus({preventScroll: true}); } catch (e) { field.focus(); }
  }
  window.zqMarkRequired = markRequired;
  document.addEventListener("DOMContentLoaded", function () {
    markRequired(document);
    focusFirstError();
  });
})();
