// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // The menu button (narrow screens): a real button that says whether the menu is open.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.hidden = false;
    toggle.closest(".site-header").classList.add("has-menu-button");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    });
  }

  // Tables: on phones every row reads as a card, each cell labelled with its column
  // (<td data-label>, from the header when a template gives none); a table that is
  // still wider than its box scrolls inside it and can be scrolled with the keyboard.
  document.querySelectorAll("table.table").forEach(function (table) {
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (!cell.hasAttribute("data-label") && headers[i] && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", headers[i]);
        }
      });
    });
    table.classList.add("table-stack");
  });
  var markScrollable = function () {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        var table = box.querySelector("table");
        var caption = table && (table.getAttribute("aria-label") || table.id);
        box.setAttribute("aria-label", caption ? "Table " + caption.replace(/-/g, " ") + ", scrolls sideways" : "Table, scrolls sideways");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  };
  markScrollable();
  window.addEventListener("resize", markScrollable);

  // Copy buttons: <button data-copy-target="#id">.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy-target"));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () {
        var label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        document.execCommand("copy");
        document.body.removeChild(area);
        done();
      }
    });
  });

  // Forms marked data-once disable their submit button after the first click.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });

  // Confirmation for destructive actions: <form data-confirm="Are you sure?">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
