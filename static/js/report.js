// The report's print button: shown only when JavaScript can print (the page prints without it too).
(function () {
  var button = document.getElementById('print-report');
  if (!button || !window.print) return;
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
})();
