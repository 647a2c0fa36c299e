/* 新增企业 beside the enterprise field of 录入问题 and 登记走访: a small form that creates the enterprise on the server
   (which checks the 统一社会信用代码, duplicates and the user's scope) and selects it in the select2 field. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("add-firm"), field = document.getElementById("enterprise");
    if (!box || !field) return;
    var group = field.closest(".form-group") || field.parentNode;
    group.appendChild(box);
    box.classList.remove("d-none");
    var form = document.getElementById("add-firm-form"), error = document.getElementById("add-firm-error");
    document.getElementById("add-firm-open").addEventListener("click", function (event) {
      event.preventDefault();
      form.classList.toggle("d-none");
      document.getElementById("firm-name").focus();
    });
    document.getElementById("add-firm-cancel").addEventListener("click", function () { form.classList.add("d-none"); });
    ["firm-name", "firm-code"].forEach(function (id) {  // Enter saves the enterprise, not the record's form around it
      document.getElementById(id).addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); document.getElementById("add-firm-save").click(); }
      });
    });
    document.getElementById("add-firm-save").addEventListener("click", function () {
      if (!document.getElementById("firm-name").value.trim()) { error.textContent = "请填写企业名称。"; return; }
      var token = document.querySelector('input[name="csrf_token"]');
      var campaign = document.getElementById("campaign");
      var data = new FormData();
      data.append("csrf_token", token ? token.value : "");
      data.append("name", document.getElementById("firm-name").value);
      data.append("credit_code", document.getElementById("firm-code").value);
      data.append("town", document.getElementById("firm-town").value);
      data.append("campaign", campaign && campaign.value ? campaign.value : box.dataset.campaign);
      error.textContent = "";
      fetch(box.dataset.url, {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
        .then(function (result) {
          if (!result[0]) { error.textContent = result[1].error || "未能新增企业。"; return; }
          var firm = result[1];
          if (window.jQuery && window.jQuery(field).data("select2")) {
            window.jQuery(field).select2("data", {id: String(firm.id), text: firm.text});
          }
          field.value = String(firm.id);
          form.classList.add("d-none");
          ["firm-name", "firm-code"].forEach(function (id) { document.getElementById(id).value = ""; });
          error.textContent = "";
          var said = document.getElementById("add-firm-done") || document.createElement("span");
          said.id = "add-firm-done"; said.className = "text-success small ml-2";
          said.textContent = "已新增并选中“" + firm.text + "”";
          document.getElementById("add-firm-open").after(said);
        })
        .catch(function () { error.textContent = "网络不通，未能新增企业，请稍后再试。"; });
    });
  });
})();
