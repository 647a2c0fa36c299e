// The portal's file chooser in Chinese: the browser's own button and "no file chosen" follow the browser's language,
// so the form shows a label of its own and, here, the names of the files chosen.
(function () {
  "use strict";
  var input = document.getElementById("files");
  var shown = document.getElementById("files-chosen");
  if (!input || !shown) { return; }
  input.addEventListener("change", function () {
    var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
    shown.textContent = names.length ? "已选 " + names.length + " 个：" + names.join("、") : "未选择文件";
  });
})();
