// Small helpers the app calls through JS interop. No tokens are stored here: only the language preference.
window.reimburse = {
  getPref: (key) => { try { return localStorage.getItem(key); } catch { return null; } },
  setPref: (key, value) => { try { localStorage.setItem(key, value); } catch { } },
  browserLanguage: () => navigator.language || "en",
  setDocumentLanguage: (lang) => { document.documentElement.lang = lang; },
  // Bytes fetched with the bearer token become a blob: URL (for an <img> or a download); revoked by the caller.
  blobUrl: (bytes, type) => URL.createObjectURL(new Blob([bytes], { type })),
  revoke: (url) => URL.revokeObjectURL(url),
  download: (bytes, type, name) => {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  },
  focus: (selector) => { const el = document.querySelector(selector); if (el) el.focus(); },
};
