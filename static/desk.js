// 我的待办: the 全选 box of a bulk line ticks every problem of that line.
document.querySelectorAll(".desk-all").forEach(function (box) {
  box.addEventListener("change", function () {
    document.querySelectorAll("#" + box.dataset.form + " .desk-check").forEach(function (c) { c.checked = box.checked; });
  });
});
