// 附件 in the browser, no framework. Every file input with data-accept (the step forms, 录入问题, 走访, 报送, the
// portal's 诉求 form): a photo is shrunk before upload (longest side 1600 px, JPEG quality 0.8 on a canvas), so a
// 6 MB camera photo goes up as a few hundred KB; a file of a type not taken, or still over the limit (data-max-mb),
// is named in a Chinese message and the form is not sent (what was typed stays). The server checks everything again
// (models.attachments). On a record's page, a picture opens in a viewer (上一张 / 下一张); a PDF in a new tab.
(function () {
  "use strict";
  var LONGEST = 1600, QUALITY = 0.8, SHRINK_ABOVE = 300 * 1024;
  var PICTURE = /^image\/(jpeg|png|heic|heif|webp)$/i;

  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot).toLowerCase();
  }

  function megabytes(size) { return (size / 1048576).toFixed(1) + " MB"; }

  function loadPicture(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("unreadable")); };
      img.src = url;
    });
  }

  // A photo redrawn at most LONGEST px on its longest side as a JPEG (the browser applies the EXIF orientation when
  // drawing, and the canvas keeps no EXIF); the original when it is small already or the browser cannot draw it.
  function shrink(file) {
    if (!PICTURE.test(file.type) || (file.size <= SHRINK_ABOVE && !/heic|heif/i.test(file.type))) {
      return Promise.resolve(file);
    }
    return loadPicture(file).then(function (img) {
      var scale = Math.min(1, LONGEST / Math.max(img.naturalWidth, img.naturalHeight));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.naturalWidth * scale);
      canvas.height = Math.round(img.naturalHeight * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a PNG's transparent parts: white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || (blob.size >= file.size && !/heic|heif/i.test(file.type))) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function statusOf(input) {
    var status = input.parentNode.querySelector(".attach-status");
    if (!status) {
      status = document.createElement("div");
      status.className = "attach-status small mt-1";
      status.setAttribute("role", "status");
      input.parentNode.insertBefore(status, input.nextSibling);
    }
    return status;
  }

  function say(input, text, bad) {
    var status = statusOf(input);
    status.textContent = text;
    status.className = "attach-status small mt-1 " + (bad ? "text-danger" : "text-muted");
  }

  function refusals(input, files) {
    var accepted = (input.getAttribute("data-accept") || "").split(","), found = [];
    var limit = parseFloat(input.getAttribute("data-max-mb") || "0") * 1048576;
    files.forEach(function (f) {
      if (accepted.indexOf(extension(f.name)) < 0) {
        found.push("“" + f.name + "”的类型不能上传");
      } else if (limit && f.size > limit) {
        found.push("“" + f.name + "”有 " + megabytes(f.size) + "，超过每个文件 " + input.getAttribute("data-max-mb") + " MB 的上限");
      }
    });
    return found;
  }

  function prepare(input) {
    var chosen = Array.prototype.slice.call(input.files || []);
    input.removeAttribute("data-refused");
    if (!chosen.length) { say(input, "", false); return Promise.resolve(); }
    say(input, "正在压缩照片……", false);
    input.setAttribute("data-busy", "1");
    return Promise.all(chosen.map(shrink)).then(function (files) {
      input.removeAttribute("data-busy");
      var refused = refusals(input, files);
      if (refused.length) {
        input.setAttribute("data-refused", "1");
        say(input, refused.join("；") + "。请重新选择（只收 JPG、PNG 图片，PDF，Word、Excel、WPS 文件）；已填写的内容保留。", true);
        return;
      }
      if (files.some(function (f, i) { return f !== chosen[i]; }) && window.DataTransfer) {
        try {
          var transfer = new DataTransfer();
          files.forEach(function (f) { transfer.items.add(f); });
          input.files = transfer.files;
        } catch (e) { /* an older browser: the originals go up, the server checks them */ }
      }
      var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
      say(input, "已选 " + files.length + " 个，共 " + megabytes(total) + "：" +
          files.map(function (f) { return f.name; }).join("、"), false);
    });
  }

  var inputs = document.querySelectorAll("input[type=file][data-accept]");
  Array.prototype.forEach.call(inputs, function (input) {
    var pending = null;
    input.addEventListener("change", function () { pending = prepare(input); });
    if (!input.form || input.form.hasAttribute("data-attach-bound")) { return; }
    input.form.setAttribute("data-attach-bound", "1");
    input.form.addEventListener("submit", function (event) {
      var form = this, own = form.querySelectorAll("input[type=file][data-accept]");
      var refused = Array.prototype.some.call(own, function (i) { return i.hasAttribute("data-refused"); });
      var busy = Array.prototype.some.call(own, function (i) { return i.hasAttribute("data-busy"); });
      if (refused) {
        event.preventDefault();
        var first = form.querySelector("input[data-refused]");
        first.scrollIntoView({ block: "center" });
        return;
      }
      if (busy && pending) {  // still shrinking: send once it is done
        event.preventDefault();
        pending.then(function () {
          if (!form.querySelector("input[data-refused]")) { HTMLFormElement.prototype.submit.call(form); }
        });
      }
    });
  });

  // --- the viewer ---
  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-viewer]"));
  if (!links.length) { return; }
  var overlay = null, shown = 0;

  function show(index) {
    shown = (index + links.length) % links.length;
    var link = links[shown];
    overlay.querySelector("img").src = link.getAttribute("data-viewer");
    overlay.querySelector(".viewer-caption").textContent = (link.getAttribute("title") || "") +
      (links.length > 1 ? "（" + (shown + 1) + "/" + links.length + "）" : "");
    overlay.querySelector(".viewer-open").href = link.getAttribute("href");
  }

  function close() { overlay.hidden = true; document.body.style.overflow = ""; }

  function build() {
    overlay = document.createElement("div");
    overlay.className = "viewer";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-label", "查看图片");
    overlay.innerHTML = '<img alt="">' +
      '<div class="viewer-bar"><button type="button" class="viewer-prev">‹ 上一张</button>' +
      '<span class="viewer-caption"></span>' +
      '<button type="button" class="viewer-next">下一张 ›</button>' +
      '<a class="viewer-open" target="_blank" rel="noopener">原图</a>' +
      '<button type="button" class="viewer-close" aria-label="关闭">✕ 关闭</button></div>';
    document.body.appendChild(overlay);
    overlay.querySelector(".viewer-prev").addEventListener("click", function () { show(shown - 1); });
    overlay.querySelector(".viewer-next").addEventListener("click", function () { show(shown + 1); });
    overlay.querySelector(".viewer-close").addEventListener("click", close);
    overlay.addEventListener("click", function (event) { if (event.target === overlay) { close(); } });
    if (links.length < 2) {
      overlay.querySelector(".viewer-prev").hidden = overlay.querySelector(".viewer-next").hidden = true;
    }
    document.addEventListener("keydown", function (event) {
      if (overlay.hidden) { return; }
      if (event.key === "Escape") { close(); }
      if (event.key === "ArrowLeft") { show(shown - 1); }
      if (event.key === "ArrowRight") { show(shown + 1); }
    });
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (!overlay) { build(); }
      overlay.hidden = false;
      document.body.style.overflow = "hidden";
      show(index);
    });
  });
})();
