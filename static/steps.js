// Step forms: a person dropdown (责任人, 督办人) offers only the people of the unit chosen beside it, and 新增人员 adds
// one to that unit without leaving the form. Uses the jQuery and Select2 that Flask-Admin ships.
(function ($) {
  function narrow(select) {
    var $select = $(select), unit = $("#" + $select.data("unit-from")).val() || "";
    var all = $select.data("all-options");
    if (!all) { all = $select.find("option").clone(); $select.data("all-options", all); }
    var current = $select.val();
    $select.empty();
    all.each(function () {
      var value = this.value, mark = $(this).attr("data-unit");
      if (value === "__None" || value === "" || (unit && mark === unit)) { $select.append($(this).clone()); }
    });
    var kept = $select.find("option").filter(function () { return this.value === current; }).length;
    $select.val(kept ? current : "__None");
    if ($select.data("select2")) { $select.select2("val", $select.val()); }
  }

  $("select[data-unit-from]").each(function () {
    var select = this;
    narrow(select);
    $("#" + $(select).data("unit-from")).on("change", function () { narrow(select); });
  });

  $(".add-person").each(function () {
    var $box = $(this), $form = $box.find(".add-person-form"), $error = $box.find(".add-person-error");
    $box.find(".add-person-open").on("click", function (event) {
      event.preventDefault();
      $form.toggleClass("d-none");
      $form.find("input[name=person_name]").focus();
    });
    $box.find(".add-person-cancel").on("click", function () { $form.addClass("d-none"); $error.text(""); });
    $box.find(".add-person-save").on("click", function () {
      var unit = $("#" + $box.data("unit-from")).val();
      var data = {
        unit: unit, problem: $box.data("problem"),
        name: $form.find("input[name=person_name]").val(),
        position: $form.find("input[name=person_position]").val(),
        phone: $form.find("input[name=person_phone]").val(),
        csrf_token: $box.closest("form").find("input[name=csrf_token]").val()
      };
      $error.text("");
      $.post($box.data("url"), data).done(function (person) {
        var $select = $("#" + $box.data("for"));
        var option = $("<option>").val(String(person.id)).text(person.text).attr("data-unit", String(person.unit));
        $select.data("all-options", ($select.data("all-options") || $()).add(option));
        narrow($select[0]);
        $select.val(String(person.id));
        if ($select.data("select2")) { $select.select2("val", String(person.id)); }
        $form.addClass("d-none");
        $form.find("input").val("");
      }).fail(function (xhr) {
        $error.text((xhr.responseJSON && xhr.responseJSON.error) || "新增人员失败，请重试。");
      });
    });
  });

  // 交办: 办理时限 按工作日数 or 按日期 — show the field of the way chosen
  var $by = $("input[name=ui_deadline_by]");
  function showDeadline() {
    var byDays = $by.filter(":checked").val() === "days";
    $("#ui_deadline_days").closest(".form-group").toggle(byDays);
    $("#deadline").closest(".form-group").toggle(!byDays);
  }
  if ($by.length) { $by.on("change", showDeadline); showDeadline(); }
})(window.jQuery);
