// twofa: the copy button on the set-up page. The one script the CSP allows (script-src 'self').
// Buttons start hidden so that without JavaScript nothing is shown that would not work.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement?.querySelector('.copy-status');
  if (!source) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    // Authenticator apps take the key without the spaces that group it for reading.
    const text = source.textContent.replace(/\s+/g, '');
    try {
      await navigator.clipboard.writeText(text);
      if (status) status.textContent = 'Copied.';
    } catch {
      // No clipboard access (an old browser or an insecure context): select the key for a manual copy.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      if (status) status.textContent = 'Selected: copy it with your device’s copy command.';
    }
  });
}
