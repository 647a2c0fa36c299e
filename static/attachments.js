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

  function statusOf(input) {  // one line for each input, under the buttons
    var status = document.getElementById(input.id + "-status");
    if (!status) {
      status = document.createElement("div");
      status.id = input.id + "-status";
      status.className = "attach-status small mt-1";
      status.setAttribute("role", "status");
      var bar = input.closest(".attach-buttons") || input;
      bar.parentNode.insertBefore(status, bar.nextSibling);
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
      if (/^\.hei[cf]$/.test(extension(f.name))) {
        found.push("“" + f.name + "”是 HEIC 格式的照片，请在相机设置中选“兼容性最佳”（JPG）或截图后再上传");
      } else if (accepted.indexOf(extension(f.name)) < 0) {
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
      var whole = parseFloat(input.getAttribute("data-max-request-mb") || "0") * 1048576;
      var others = Array.prototype.slice.call(input.form ? input.form.querySelectorAll("input[type=file]") : [])
        .filter(function (i) { return i !== input; })
        .reduce(function (sum, i) { return sum + Array.prototype.reduce.call(i.files || [], function (s, f) { return s + f.size; }, 0); }, 0);
      var total = files.reduce(function (sum, f) { return sum + f.size; }, others);
      if (whole && total > whole) {
        refused.push("本次附件合计 " + megabytes(total) + "，超过一次上传 " + input.getAttribute("data-max-request-mb") +
                     " MB 的上限，请分几次上传");
      }
      if (refused.length) {
        input.setAttribute("data-refused", "1");
        say(input, refused.join("；") + "。请重新选择（只收 JPG、PNG 图片，PDF，Word、Excel、WPS 文件），已填写的内容保留。", true);
        return;
      }
      if (files.some(function (f, i) { return f !== chosen[i]; }) && window.DataTransfer) {
        try {
          var transfer = new DataTransfer();
          files.forEach(function (f) { transfer.items.add(f); });
          input.files = transfer.files;
        } catch (e) { /* an older browser: the originals go up, the server checks them */ }
      }
      var before = chosen.reduce(function (sum, f) { return sum + f.size; }, 0);
      var shrunk = before > total - others ? "（照片已压缩，原 " + megabytes(before) + "）" : "";
      say(input, "已选 " + files.length + " 个，共 " + megabytes(total - others) + shrunk + "：" +
          files.map(function (f) { return f.name; }).join("、"), false);
    });
  }

  // The browser's own file button speaks the browser's language: a Chinese button in its place, and on a phone a
  // second one that opens the camera (capture), both sending under the input's name.
  function button(input, text) {
    var label = document.createElement("label");
    label.className = "btn btn-outline-secondary btn-sm mb-0 mr-2 attach-button";
    label.setAttribute("for", input.id);
    label.textContent = text;
    return label;
  }

  function enhance(input) {
    if (input.hasAttribute("data-plain")) { return [input]; }  // a form with a button of its own (the portal)
    if (!input.id) { input.id = "attach-" + Math.random().toString(36).slice(2); }
    var bar = document.createElement("div");
    bar.className = "attach-buttons";
    input.parentNode.insertBefore(bar, input);
    bar.appendChild(button(input, "选择照片或文件"));
    var images = (input.getAttribute("data-accept") || "").split(",").filter(function (e) { return /jpe?g|png/.test(e); });
    if (images.length && !input.hasAttribute("data-no-camera")) {
      var camera = document.createElement("input");
      camera.type = "file";
      camera.name = input.name;
      camera.id = input.id + "-camera";
      camera.accept = "image/*";
      camera.setAttribute("capture", "environment");
      camera.setAttribute("data-accept", images.join(","));
      camera.setAttribute("data-max-mb", input.getAttribute("data-max-mb") || "");
      camera.setAttribute("data-append", "1");  // each photo taken adds to those taken before
      camera.className = "sr-only attach-camera";
      bar.appendChild(camera);
      bar.appendChild(button(camera, "拍照"));
    }
    input.classList.add("sr-only");
    bar.appendChild(input);
    return bar.querySelectorAll("input[type=file]");
  }

  var inputs = [];
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-accept]"), function (input) {
    Array.prototype.push.apply(inputs, enhance(input));
  });
  inputs.forEach(function (input) {
    var kept = [];
    input.addEventListener("change", function () {
      if (input.hasAttribute("data-append") && kept.length && window.DataTransfer) {
        var transfer = new DataTransfer();
        kept.concat(Array.prototype.slice.call(input.files)).forEach(function (f) { transfer.items.add(f); });
        input.files = transfer.files;
      }
      input.pending = prepare(input).then(function () {
        kept = input.hasAttribute("data-refused") ? [] : Array.prototype.slice.call(input.files);
      });
    });
    if (!input.form || input.form.hasAttribute("data-attach-bound")) { return; }
    input.form.setAttribute("data-attach-bound", "1");
    input.form.addEventListener("submit", function (event) {
      var form = this, own = Array.prototype.slice.call(form.querySelectorAll("input[type=file][data-accept]"));
      var refused = form.querySelector("input[type=file][data-refused]");
      if (refused) {  // named in its line already: not sent, nothing typed is lost
        event.preventDefault();
        (document.getElementById(refused.id + "-status") || refused).scrollIntoView({ block: "center" });
        return;
      }
      if (own.some(function (i) { return i.hasAttribute("data-busy"); })) {  // still shrinking: send once done
        event.preventDefault();
        var submitter = event.submitter;
        Promise.all(own.map(function (i) { return i.pending; })).then(function () {
          if (form.querySelector("input[type=file][data-refused]")) { return; }
          if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
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
