// twofa: the Print button beside the recovery codes (the page's print styles leave only the codes).
// It starts hidden so that without JavaScript nothing is shown that would not work.
for (const button of document.querySelectorAll('button[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
