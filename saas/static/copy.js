// Copy buttons: <button data-copy="ID"> copies the value of the field with that id.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.getElementById(button.dataset.copy);
    var done = function () {
      var note = button.parentElement.querySelector(".copied");
      if (note) { note.hidden = false; }
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
    } else {
      field.select();
      document.execCommand("copy");
      done();
    }
  });
});
