/** The dashboard page (loads the stylesheet and the app module with relative URLs). Embedded as text so it ships inside the ESM and CJS builds. */
export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Webhook inbox</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/styles.css">
<script type="module" src="assets/app.js"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <div class="topbar-inner">
    <a class="brand" href="#/events"><span class="brand-mark" aria-hidden="true"></span>Webhook inbox</a>
    <nav class="nav" aria-label="Sections">
      <a href="#/events" data-nav="events">Events</a>
      <a href="#/deliveries" data-nav="deliveries">Inbound requests</a>
      <a href="#/settings" data-nav="settings">Settings</a>
    </nav>
    <div class="topbar-end" id="access"></div>
  </div>
</header>
<main id="main" tabindex="-1"><noscript>The dashboard needs JavaScript.</noscript></main>
<div id="toast" class="toast-region" role="status" aria-live="polite"></div>
</body>
</html>
`;
