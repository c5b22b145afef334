// "Pokaż wpisywane hasło": a checkbox that shows the password fields as text.
// A static file (CSP script-src 'self'); without it the form works unchanged.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-reveal]").forEach(function (box) {
    var fields = box.getAttribute("data-reveal").split(" ")
      .map(function (name) { return document.getElementsByName(name)[0]; })
      .filter(Boolean);
    box.closest(".reveal").hidden = false;
    box.addEventListener("change", function () {
      fields.forEach(function (field) { field.type = box.checked ? "text" : "password"; });
    });
  });
});
