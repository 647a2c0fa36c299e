// Flask-Admin's widgets in Chinese: its date pickers (daterangepicker 1.3.22 on moment 2.29, which ships without
// moment's zh-cn locale, so the names are given here) and Select2's messages. templates/admin/zq_base.html loads this
// file before Flask-Admin's form.js; form.js then sets up every data-role input through the converter added here,
// which takes the date and date-time pickers and leaves the other widgets to form.js.
(function ($) {
  "use strict";

  var LOCALE = {
    applyLabel: "确定",
    cancelLabel: "取消",
    fromLabel: "起",
    toLabel: "止",
    weekLabel: "周",
    customRangeLabel: "自定义",
    daysOfWeek: ["日", "一", "二", "三", "四", "五", "六"],
    monthNames: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    firstDay: 1 // weeks start on Monday
  };
  // A date range reads "2024-09-01 至 2024-09-30"; Flask-Admin's filters read " to ", put back when the form is sent.
  var RANGE = " 至 ";
  var FLASK_ADMIN_RANGE = " to ";
  var PICKERS = { // data-role: one date or a range, with or without the time
    datepicker: { single: true, time: false },
    datetimepicker: { single: true, time: true },
    daterangepicker: { single: false, time: false },
    datetimerangepicker: { single: false, time: true }
  };
  var A_DATE = /^\d{4}-\d{2}-\d{2}$/;

  // Open below the field, or above it when there is no room below and more above, so that the picker stays on the
  // screen; a picked date (or a typed one) closes it, so it never stays over the form's buttons.
  function place(event, picker) {
    var box = picker.element[0].getBoundingClientRect();
    var below = window.innerHeight - box.bottom;
    var drops = below < picker.container.outerHeight() && box.top > below ? "up" : "down";
    if (drops !== picker.drops) {
      picker.drops = drops;
      picker.move();
    }
  }

  function setUpPicker($el, kind) {
    if (!kind.single) {
      $el.val(($el.val() || "").split(FLASK_ADMIN_RANGE).join(RANGE)).addClass("zh-range");
      $el.closest("form").off("submit.zhRange").on("submit.zhRange", function () {
        $(this).find("input.zh-range").each(function () {
          this.value = this.value.replace(/\s*至\s*/, FLASK_ADMIN_RANGE);
        });
      });
    }
    $el.daterangepicker({
      singleDatePicker: kind.single,
      timePicker: kind.time,
      timePicker12Hour: false,
      timePickerIncrement: 1,
      showDropdowns: true,
      autoApply: kind.single && !kind.time, // one date: a click picks it and closes the picker
      format: $el.attr("data-date-format") || (kind.time ? "YYYY-MM-DD HH:mm:ss" : "YYYY-MM-DD"),
      separator: RANGE,
      locale: LOCALE,
      opens: "right",
      drops: "down"
    }, function () {
      $(".filter-val").trigger("change"); // as form.js does: shows the filter form's 应用 button
    });
    $el.on("show.daterangepicker", place);
    if (kind.single && kind.time) {
      $el.on("show.daterangepicker", function (event, picker) { // as form.js does: an empty field starts at now
        if (!$el.val()) {
          var now = moment().seconds(0);
          picker.setCustomDates(now, now);
        }
      });
    }
    if (kind.single && !kind.time) {
      $el.on("keyup", function () {
        var picker = $el.data("daterangepicker");
        if (picker && picker.isShowing && A_DATE.test($el.val())) {
          picker.updateFromControl();
          picker.hide();
        }
      });
    }
  }

  function convert($el, role) {
    if (PICKERS[role] && $.fn.daterangepicker) {
      setUpPicker($el, PICKERS[role]);
      return true;
    }
    if (role === "select2-tags") { // form.js gives it an English hint; form.js still sets it up
      $el.on("select2-opening", function () {
        var select2 = $el.data("select2");
        if (select2) {
          select2.opts.formatNoMatches = function () { return "可输入多个值，用逗号分隔"; };
        }
      });
    }
    return false;
  }

  function register() {
    if (register.done || !window.faForm) {
      return;
    }
    register.done = true;
    window.faForm.addFieldConverter(convert);
  }

  if ($.fn.select2) {
    $.extend($.fn.select2.defaults, {
      formatNoMatches: function () { return "没有匹配的选项"; },
      formatSearching: function () { return "正在搜索……"; },
      formatAjaxError: function () { return "加载失败，请重试"; },
      formatLoadMore: function () { return "正在加载更多……"; },
      formatInputTooShort: function (input, min) { return "请再输入" + (min - input.length) + "个字"; },
      formatInputTooLong: function (input, max) { return "请删去" + (input.length - max) + "个字"; },
      formatSelectionTooBig: function (limit) { return "最多只能选择" + limit + "项"; },
      formatMatches: function (count) { return "共" + count + "项，可用上下方向键选择"; }
    });
  }
  register(); // form.js loaded already
  $(document).on("adminFormReady", register); // form.js loaded later: it announces itself with this event
})(jQuery);
