/* The coverage upload page, enhanced: drop a file on the zone, watch it go up, see what the server kept.
   Without this script the form is a plain multipart POST. With it the same form goes to the JSON API
   (POST /api/v1/coverage/uploads) by XMLHttpRequest, whose upload.onprogress gives a real progress bar.
   Also asks before a delete form (data-confirm) is sent. Plain ES2017, no libraries. */
(() => {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach((f) => f.addEventListener('submit', (e) => {
    if (!confirm(f.dataset.confirm)) e.preventDefault();
  }));
  const form = document.getElementById('coverage-upload');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const $ = (id) => document.getElementById(id);
  const T = $('coverage-i18n').dataset, D = form.dataset, input = form.elements.file;
  const zone = $('dropzone'), chosen = $('dz-chosen'), button = $('upload-submit'), box = $('upload-status');
  const bar = $('upload-progress'), text = $('upload-text'), result = $('upload-result');
  const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  const num = new Intl.NumberFormat(D.locale), dec = new Intl.NumberFormat(D.locale, { maximumFractionDigits: 1 });
  const size = (n) => n < 1048576 ? dec.format(n / 1024) + ' kB' : dec.format(n / 1048576) + ' MB';
  let file = null;

  const el = (tag, props, children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    (children || []).forEach((c) => node.append(c));
    return node;
  };
  const count = (k, n) => { const dd = el('dd', { textContent: num.format(n) }); dd.dataset.count = k; return dd; };
  const say = (message, kind) => {
    box.hidden = false;
    text.textContent = message;
    text.className = kind ? 'alert ' + kind : '';
  };
  const pick = (f) => {
    file = f || null;
    chosen.textContent = file ? fmt(T.chosen, { name: file.name, size: size(file.size) }) : '';
    zone.classList.toggle('has-file', !!file);
    result.textContent = '';
  };

  input.addEventListener('change', () => pick(input.files[0]));
  ['dragenter', 'dragover'].forEach((type) => zone.addEventListener(type, (e) => {
    e.preventDefault();
    zone.classList.add('over');
  }));
  ['dragleave', 'dragend'].forEach((type) => zone.addEventListener(type, () => zone.classList.remove('over')));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (!f) return;
    try { input.files = e.dataTransfer.files; } catch (err) { /* old browsers: keep it in `file` only */ }
    pick(f);
  });

  function show(status, body) {
    const counts = el('dl', { className: 'counts' }, ['rows', 'accepted', 'rejected', 'duplicates', 'warnings']
      .map((k) => el('div', { className: k === 'accepted' ? 'ok' : k === 'rejected' ? 'bad' : '' }, [
        el('dt', { textContent: T[k] }), count(k, body[k])])));
    const links = el('p', { className: 'links' }, [
      el('a', { className: 'button primary', href: D.pages + '/' + body.id, textContent: T.open }), ' ',
      el('a', { className: 'button', href: body.errors_url, textContent: T.errors, download: '' })]);
    say(status === 201 ? T.saved : T.again, 'ok');
    result.textContent = '';
    result.append(counts, links);
  }
  function fail(status, body) {
    const errors = Object.values((body && body.errors) || {});
    say((body && body.message) || T.network + (status ? ' (HTTP ' + status + ')' : ''), 'error');
    const items = errors.map((m) => el('li', { textContent: m })).concat(((body && body.details) || [])
      .slice(0, 10).map((d) => el('li', { textContent: `${T.line} ${d.line}, ${d.column}: ${d.reason}` })));
    result.textContent = '';
    if (items.length) result.append(el('ul', { className: 'alert error' }, items));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (button.disabled) return;
    if (!file) { say(T.none, 'error'); input.focus(); return; }
    if (file.size > +D.maxBytes) { say(T.large, 'error'); return; }
    const data = new FormData(form);
    data.set('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', D.api);
    xhr.setRequestHeader('X-CSRFToken', form.elements.csrf_token.value);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', D.locale);  // the API's messages in the page's language
    const progress = (sent, total) => {
      const percent = total ? Math.round(sent / total * 100) : 100;
      bar.value = percent;
      bar.textContent = percent + ' %';
      say(fmt(T.sending, { percent, sent: size(sent), total: size(total) }));
    };
    xhr.upload.onprogress = (ev) => progress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
    xhr.upload.onload = () => {  // every byte is on the server: now it reads and stores the rows
      progress(file.size, file.size);
      say(T.checking);
      box.setAttribute('aria-busy', 'true');
    };
    xhr.onloadend = () => {
      button.disabled = false;
      box.removeAttribute('aria-busy');
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON: a proxy's page or no answer */ }
      if (xhr.status === 200 || xhr.status === 201) show(xhr.status, body); else fail(xhr.status, body);
    };
    button.disabled = true;
    result.textContent = '';
    bar.value = 0;
    progress(0, file.size);
    xhr.send(data);
  });
})();
