// Copy buttons: `<button data-copy="input-id">` copies that input's value to the clipboard
// and says so. Without JavaScript the buttons stay hidden and the field can be selected.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = "Copied";
        if (window.doxinAnnounce) window.doxinAnnounce("Copied to the clipboard");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          input.select();
        });
      } else {
        input.select();
        if (document.execCommand && document.execCommand("copy")) done();
      }
    });
  });
})();
