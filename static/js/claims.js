/* Span votes: selection popover, heat layer, claim panel. Owned by the span-vote work.
 *
 * Offsets sent to and received from the server are Unicode code points over the
 * comment-body's textContent (= Comment.body_text); the DOM measures UTF-16 code units,
 * so every offset is converted at the boundary (emoji take two units, one code point).
 * No inline styles or handlers (CSP): classes only, positions through the CSSOM. Data comes
 * in data-claims attributes (htmx drops <script> tags, even JSON ones, from swapped HTML).
 */
(function () {
  "use strict";

  var MAX_REASON = 500;
  var popover = null;        // the open selection popover, if any
  var panelHost = null;      // the claim panel drawer
  var pendingSelection = null; // {commentId, start, end, exact} of the current selection
  var lastFocus = null;

  // --- helpers ----------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function layerFor(commentId) {
    return document.querySelector('.claim-layer[data-comment-id="' + commentId + '"]');
  }

  function bodyFor(commentId) {
    return document.querySelector('.comment-body[data-comment-id="' + commentId + '"]');
  }

  function csrfToken(layer) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    if (layer && layer.dataset.csrf) return layer.dataset.csrf;
    var anyLayer = document.querySelector(".claim-layer[data-csrf]");
    if (anyLayer) return anyLayer.dataset.csrf;
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function layerData(commentId) {
    var layer = layerFor(commentId);
    if (!layer) return null;
    if (layer._claimData) return layer._claimData;
    try {
      layer._claimData = JSON.parse(layer.dataset.claims || "null");
    } catch (e) {
      layer._claimData = null;
    }
    return layer._claimData;
  }

  function panelUrl(layer, claimId) {
    var template = (layer && layer.dataset.panelUrl) || "/claims/0/";
    return template.replace(/\/0\/$/, "/" + claimId + "/");
  }

  // Code points <-> UTF-16 over one string.
  function cpToUnits(text, cp) {
    var units = 0, count = 0;
    while (count < cp && units < text.length) {
      var code = text.charCodeAt(units);
      units += (code >= 0xd800 && code <= 0xdbff && units + 1 < text.length) ? 2 : 1;
      count += 1;
    }
    return units;
  }

  function unitsToCp(text, units) {
    var cp = 0, i = 0;
    while (i < units && i < text.length) {
      var code = text.charCodeAt(i);
      i += (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) ? 2 : 1;
      cp += 1;
    }
    return cp;
  }

  // --- selection -> span -----------------------------------------------------------------

  /* The selection's span over `body`'s text in code points, trimmed of edge whitespace
   * (the server trims too), or null when nothing but whitespace is selected. */
  function spanFromRange(body, range) {
    var text = body.textContent;
    var clipped = range.cloneRange();
    if (!body.contains(range.startContainer)) clipped.setStart(body, 0);
    if (!body.contains(range.endContainer)) clipped.setEnd(body, body.childNodes.length);
    var before = document.createRange();
    before.setStart(body, 0);
    before.setEnd(clipped.startContainer, clipped.startOffset);
    var startUnits = before.toString().length;
    var endUnits = startUnits + clipped.toString().length;
    if (endUnits > text.length) endUnits = text.length;
    var start = unitsToCp(text, startUnits), end = unitsToCp(text, endUnits);
    var chars = Array.from(text);
    while (start < end && /\s/.test(chars[start])) start += 1;
    while (end > start && /\s/.test(chars[end - 1])) end -= 1;
    if (end <= start) return null;
    return { start: start, end: end, exact: chars.slice(start, end).join("") };
  }

  function selectionInComment() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    var range = selection.getRangeAt(0);
    var node = range.commonAncestorContainer;
    var element = node.nodeType === 1 ? node : node.parentElement;
    var body = element && element.closest(".comment-body[data-comment-id]");
    if (!body) {
      // A selection across two paragraphs has the body itself as common ancestor.
      var startEl = range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentElement;
      body = startEl && startEl.closest(".comment-body[data-comment-id]");
      if (!body || !body.contains(range.endContainer)) return null;
    }
    return { commentId: body.dataset.commentId, range: range, body: body };
  }

  function actionsContainer() {
    var box = document.getElementById("selection-actions");
    if (!box) {
      box = el("div", { id: "selection-actions", className: "selection-actions claims-owned" });
      document.body.appendChild(box);
    }
    return box;
  }

  function clearSelectionActions() {
    var mine = document.getElementById("claim-selection-actions");
    if (mine) mine.remove();
    var box = document.getElementById("selection-actions");
    if (box && box.classList.contains("claims-owned")) box.classList.remove("is-open");
  }

  function positionNear(node, rect) {
    var top = window.scrollY + rect.bottom + 8;
    var left = Math.max(8, Math.min(window.scrollX + rect.left, window.scrollX + document.documentElement.clientWidth - 340));
    node.style.top = top + "px";
    node.style.left = left + "px";
  }

  function showSelectionActions(commentId, range) {
    if (popover) return;
    var body = bodyFor(commentId);
    var layer = layerFor(commentId);
    if (!body || !layer) return;
    var span = spanFromRange(body, range);
    if (!span) { clearSelectionActions(); return; }
    var shown = document.getElementById("claim-selection-actions");
    if (shown && pendingSelection && pendingSelection.commentId === String(commentId) &&
        pendingSelection.start === span.start && pendingSelection.end === span.end) {
      return; // the same selection reported twice (page script and our own listener): keep the buttons
    }
    pendingSelection = { commentId: String(commentId), start: span.start, end: span.end, exact: span.exact,
                         rect: range.getBoundingClientRect() };
    var box = actionsContainer();
    var old = document.getElementById("claim-selection-actions");
    if (old) old.remove();
    var group = el("span", { id: "claim-selection-actions", className: "claim-selection-actions", role: "group",
                             "aria-label": "Vote on the selected text" });
    if (layer.dataset.signedIn !== "1") {
      group.appendChild(el("a", { href: layer.dataset.loginUrl, className: "selection-action claim-action", text: "Sign in to agree or disagree" }));
    } else {
      var disagree = el("button", { type: "button", className: "selection-action claim-action claim-action-disagree", text: "Disagree…" });
      var agree = el("button", { type: "button", className: "selection-action claim-action claim-action-agree", text: "Agree…" });
      disagree.addEventListener("click", function () { openPopover("disagree"); });
      agree.addEventListener("click", function () { openPopover("agree"); });
      group.appendChild(disagree);
      group.appendChild(agree);
      var data = layerData(commentId);
      if (data && data.isAuthor) {
        var mark = el("button", { type: "button", className: "selection-action claim-action claim-action-mark", text: "Mark as a claim" });
        mark.addEventListener("click", markClaim);
        group.appendChild(mark);
      }
    }
    box.appendChild(group);
    if (box.classList.contains("claims-owned")) {
      box.classList.add("is-open");
      positionNear(box, pendingSelection.rect);
    }
  }

  var selectionTimer = null;
  function onSelectionSettled() {
    if (popover) return;
    var found = selectionInComment();
    if (!found) {
      var active = document.activeElement;
      if (!(active && active.closest && active.closest("#selection-actions"))) clearSelectionActions();
      return;
    }
    showSelectionActions(found.commentId, found.range);
  }

  document.addEventListener("selectionchange", function () {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(onSelectionSettled, 300);
  });
  document.addEventListener("cruxes:selection", function (event) {
    var detail = event.detail || {};
    if (detail.commentId && detail.range) showSelectionActions(String(detail.commentId), detail.range);
  });

  // --- the popover -------------------------------------------------------------------------

  function existingClaim(commentId, start, end) {
    var data = layerData(commentId);
    if (!data) return null;
    for (var i = 0; i < data.claims.length; i++) {
      if (data.claims[i].start === start && data.claims[i].end === end) return data.claims[i];
    }
    return null;
  }

  function closePopover() {
    if (!popover) return;
    popover.remove();
    popover = null;
    clearSelectionActions();
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
  }

  function trapFocus(container, event) {
    var focusable = container.querySelectorAll("button, input, textarea, a[href], select");
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
    else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
  }

  function counterFor(textarea, counter) {
    function update() {
      counter.textContent = textarea.value.length + "/" + MAX_REASON;
      counter.classList.toggle("is-over", textarea.value.length > MAX_REASON);
    }
    textarea.addEventListener("input", update);
    update();
  }

  function openPopover(stance) {
    if (!pendingSelection) return;
    var selection = pendingSelection;
    var layer = layerFor(selection.commentId);
    lastFocus = bodyFor(selection.commentId);
    if (popover) popover.remove();
    var claim = existingClaim(selection.commentId, selection.start, selection.end);
    var uid = "claim-pop-" + Date.now();
    var form = el("form", { className: "claim-popover-form", novalidate: true });
    var quote = el("blockquote", { className: "claim-quote", text: selection.exact.length > 200 ? selection.exact.slice(0, 197) + "…" : selection.exact });
    var stanceBox = el("fieldset", { className: "stance-choice" }, [el("legend", { className: "visually-hidden", text: "Stance" })]);
    [["disagree", "Disagree"], ["agree", "Agree"]].forEach(function (pair) {
      var input = el("input", { type: "radio", name: "stance", value: pair[0], checked: stance === pair[0] });
      stanceBox.appendChild(el("label", { className: "stance-" + pair[0] }, [input, " " + pair[1]]));
    });
    form.appendChild(quote);
    if (claim && claim.mine) {
      form.appendChild(el("p", { className: "claim-note", text: "You voted " + claim.mine + " on this part; voting again changes it." }));
    }
    form.appendChild(stanceBox);
    if (claim && claim.candidates && claim.candidates.length) {
      var picks = el("fieldset", { className: "candidate-choice" }, [el("legend", { text: "Is it…" })]);
      claim.candidates.forEach(function (candidate) {
        picks.appendChild(el("label", {}, [
          el("input", { type: "checkbox", name: "picked_reasons", value: String(candidate.id) }),
          " " + candidate.text + " ",
          el("span", { className: "candidate-tally", text: "(" + candidate.picks + ")" }),
        ]));
      });
      form.appendChild(picks);
    }
    var textarea = el("textarea", { name: "reason", rows: "2", maxlength: String(MAX_REASON), id: uid + "-reason",
                                    placeholder: "Why? One sentence (optional)" });
    var counter = el("span", { className: "char-counter", "aria-live": "polite" });
    form.appendChild(el("label", { for: uid + "-reason", className: "reason-field", text: "Why? (optional)" }));
    form.appendChild(textarea);
    form.appendChild(counter);
    form.appendChild(el("label", { className: "sign-field" }, [
      el("input", { type: "checkbox", name: "reason_signed", value: "1" }), " Sign my reason (shows your name)",
    ]));
    var error = el("p", { className: "claim-error", role: "alert", hidden: true });
    form.appendChild(error);
    var submit = el("button", { type: "submit", className: "button button--primary button--small", text: "Vote" });
    var cancel = el("button", { type: "button", className: "link-button", text: "Cancel" });
    form.appendChild(el("div", { className: "claim-popover-buttons" }, [submit, cancel]));
    counterFor(textarea, counter);

    popover = el("div", { className: "claim-popover", role: "dialog", "aria-modal": "false",
                          "aria-label": "Vote on the selected text" }, [form]);
    document.body.appendChild(popover);
    positionNear(popover, selection.rect);

    cancel.addEventListener("click", closePopover);
    popover.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); closePopover(); }
      else if (event.key === "Tab") trapFocus(popover, event);
      else if (event.key === "Enter" && event.target === textarea && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = form.querySelector('input[name="stance"]:checked');
      if (!chosen) { showError(error, "Choose agree or disagree."); return; }
      if (textarea.value.length > MAX_REASON) { showError(error, "Keep the reason to " + MAX_REASON + " characters."); return; }
      // Only what the reader filled in: an empty box keeps a reason given earlier on this
      // span (edit or withdraw it in the claim panel).
      var payload = { start: selection.start, end: selection.end, exact: selection.exact, stance: chosen.value };
      if (textarea.value.trim()) {
        payload.reason = textarea.value;
        payload.reason_signed = form.querySelector('input[name="reason_signed"]').checked;
      }
      var boxes = form.querySelectorAll('input[name="picked_reasons"]');
      if (boxes.length) {
        payload.picked_reasons = Array.prototype.filter.call(boxes, function (box) { return box.checked; })
          .map(function (box) { return Number(box.value); });
      }
      submit.disabled = true;
      postJson(layer.dataset.voteUrl, payload, layer).then(function (result) {
        submit.disabled = false;
        if (!result.ok) { showError(error, result.body.error || "Something went wrong; try again."); return; }
        applyLayer(result.body.comment);
        var claimId = result.body.claimId;
        closePopover();
        window.getSelection().removeAllRanges();
        var whole = result.body.comment && result.body.comment.wholeClaimId === claimId;
        announce(selection.commentId, whole
          ? "You selected the whole comment: your " + chosen.value + " vote counts for the whole comment."
          : "Your " + chosen.value + " vote is saved.", claimId);
      });
    });
    var firstInput = form.querySelector('input[name="stance"]:checked') ? textarea : form.querySelector('input[name="stance"]');
    firstInput.focus();
  }

  function showError(node, message) {
    node.textContent = message;
    node.hidden = false;
  }

  function postJson(url, payload, layer) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken(layer) },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().catch(function () { return { error: "The server answered " + response.status + "." }; })
        .then(function (body) { return { ok: response.ok, body: body }; });
    }, function () {
      return { ok: false, body: { error: "Network error; your vote was not saved." } };
    });
  }

  function markClaim() {
    if (!pendingSelection) return;
    var selection = pendingSelection;
    var layer = layerFor(selection.commentId);
    postJson(layer.dataset.markUrl, { start: selection.start, end: selection.end, exact: selection.exact }, layer)
      .then(function (result) {
        clearSelectionActions();
        if (!result.ok) { announce(selection.commentId, result.body.error || "Could not mark the claim."); return; }
        applyLayer(result.body.comment);
        window.getSelection().removeAllRanges();
        announce(selection.commentId, "Marked as a claim. Add candidate reasons in its panel.", result.body.claimId);
      });
  }

  function announce(commentId, message, claimId) {
    var layer = layerFor(commentId);
    if (!layer) return;
    var status = layer.querySelector(".claim-status");
    if (!status) {
      status = el("p", { className: "claim-status", role: "status" });
      layer.insertBefore(status, layer.firstChild);
    }
    status.textContent = message + " ";
    if (claimId) {
      var open = el("button", { type: "button", className: "link-button", text: "Open the claim" });
      open.addEventListener("click", function () { openPanel(commentId, claimId); });
      status.appendChild(open);
    }
  }

  // --- the heat layer ----------------------------------------------------------------------

  function clearHeat(body) {
    var spans = body.querySelectorAll("span.heat");
    spans.forEach(function (span) {
      var parent = span.parentNode;
      while (span.firstChild) parent.insertBefore(span.firstChild, span);
      parent.removeChild(span);
    });
    body.normalize();
  }

  /* Wrap the text under each segment in <span class="heat heat-dN heat-aM">, splitting text
   * nodes as needed; textContent stays exactly the same. */
  function renderHeat(commentId) {
    var body = bodyFor(commentId);
    var data = layerData(commentId);
    if (!body || !data) return;
    clearHeat(body);
    if (!data.segments || !data.segments.length) return;
    var text = body.textContent;
    var segments = data.segments.map(function (segment) {
      return { start: cpToUnits(text, segment.start), end: cpToUnits(text, segment.end), data: segment };
    });
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    var offset = 0;
    nodes.forEach(function (node) {
      var nodeStart = offset, nodeEnd = offset + node.data.length;
      offset = nodeEnd;
      var pieces = segments.filter(function (s) { return s.start < nodeEnd && s.end > nodeStart; });
      // Work from the end of the node so earlier split offsets stay valid.
      for (var i = pieces.length - 1; i >= 0; i--) {
        var seg = pieces[i];
        var from = Math.max(seg.start, nodeStart) - nodeStart;
        var to = Math.min(seg.end, nodeEnd) - nodeStart;
        if (to <= from) continue;
        var target = node;
        if (to < target.data.length) target.splitText(to);
        if (from > 0) target = target.splitText(from);
        var classes = ["heat", "heat-d" + seg.data.d, "heat-a" + seg.data.a];
        if (seg.data.marked) classes.push("heat-marked");
        if (seg.data.mine) classes.push("heat-mine");
        var wrapper = el("span", { className: classes.join(" "), "data-claims": seg.data.claims.join(","),
                                   title: seg.data.disagree + " disagree, " + seg.data.agree + " agree — click for reasons" });
        target.parentNode.insertBefore(wrapper, target);
        wrapper.appendChild(target);
      }
    });
  }

  function applyLayer(payload) {
    if (!payload) return;
    var layer = layerFor(payload.commentId);
    if (!layer) return;
    layer._claimData = payload;
    layer.dataset.claims = JSON.stringify(payload);
    renderHeat(payload.commentId);
  }

  // --- the claim panel ---------------------------------------------------------------------

  function ensurePanelHost() {
    if (panelHost) return panelHost;
    panelHost = el("aside", { id: "claim-panel-host", className: "claim-panel-host", "aria-label": "Claim", hidden: true });
    var close = el("button", { type: "button", className: "claim-panel-close", "aria-label": "Close", text: "×" });
    close.addEventListener("click", closePanel);
    panelHost.appendChild(close);
    panelHost.appendChild(el("div", { className: "claim-panel-body" }));
    panelHost.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closePanel();
    });
    panelHost.addEventListener("submit", onPanelSubmit);
    panelHost.addEventListener("input", onPanelInput);
    panelHost.addEventListener("click", onPanelClick);
    document.body.appendChild(panelHost);
    return panelHost;
  }

  function closePanel() {
    if (!panelHost) return;
    panelHost.hidden = true;
    panelHost.querySelector(".claim-panel-body").textContent = "";
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
  }

  function fetchFragment(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "HX-Request": "true" }, options.headers || {});
    return fetch(url, options).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, status: response.status, html: html }; });
    }, function () { return { ok: false, status: 0, html: '<p class="claim-error" role="alert">Network error.</p>' }; });
  }

  function showPanelHtml(html) {
    var host = ensurePanelHost();
    var body = host.querySelector(".claim-panel-body");
    var template = document.createElement("template");
    template.innerHTML = html;
    var update = template.content.querySelector(".claim-layer-update[data-claims]");
    if (update) {
      try { applyLayer(JSON.parse(update.dataset.claims)); } catch (e) { /* keep the old heat */ }
      update.remove();
    }
    body.textContent = "";
    body.appendChild(template.content);
    host.hidden = false;
    loadWhy(body);
    body.querySelectorAll("textarea[data-counter]").forEach(function (textarea) {
      var counter = document.getElementById(textarea.dataset.counter);
      if (counter) counterFor(textarea, counter);
    });
  }

  function loadWhy(container) {
    if (window.htmx) { window.htmx.process(container); return; }
    container.querySelectorAll(".claim-why[hx-get]").forEach(function (slot) {
      fetchFragment(slot.getAttribute("hx-get")).then(function (result) {
        if (!result.ok) return;
        var template = document.createElement("template");
        template.innerHTML = result.html;
        slot.textContent = "";
        slot.appendChild(template.content);
      });
    });
  }

  function openPanel(commentId, claimId, focusTarget) {
    var layer = layerFor(commentId) || document.querySelector(".claim-layer");
    lastFocus = focusTarget || document.activeElement;
    fetchFragment(panelUrl(layer, claimId) + "?fragment=1").then(function (result) {
      showPanelHtml(result.html);
      var title = panelHost.querySelector(".claim-panel-title");
      if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
    });
  }

  function onPanelSubmit(event) {
    var form = event.target;
    if (!form.closest(".claim-panel")) return;
    event.preventDefault();
    var panel = form.closest(".claim-panel");
    var layer = layerFor(panel.dataset.commentId);
    if (form.method.toLowerCase() === "get") {
      searchCruxes(form);
      return;
    }
    var button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    fetchFragment(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRFToken": csrfToken(layer) },
    }).then(function (result) {
      if (button) button.disabled = false;
      if (result.ok) { showPanelHtml(result.html); return; }
      var error = panel.querySelector(".claim-error-slot") || el("div", { className: "claim-error-slot" });
      error.innerHTML = "";
      var template = document.createElement("template");
      template.innerHTML = result.html;
      error.appendChild(template.content);
      form.parentNode.insertBefore(error, form.nextSibling);
    });
  }

  var searchTimer = null;
  function searchCruxes(form) {
    var results = form.parentNode.querySelector(".crux-search-results");
    var url = form.action + "?q=" + encodeURIComponent(form.querySelector('input[name="q"]').value);
    fetchFragment(url).then(function (result) {
      var template = document.createElement("template");
      template.innerHTML = result.html;
      results.textContent = "";
      results.appendChild(template.content);
    });
  }

  function onPanelInput(event) {
    var input = event.target;
    if (input.name === "q" && input.form && input.form.classList.contains("crux-search-form")) {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () { searchCruxes(input.form); }, 250);
    }
  }

  function onPanelClick(event) {
    var link = event.target.closest("a.claim-link[data-claim-id]");
    if (!link) return;
    event.preventDefault();
    var panel = link.closest(".claim-panel");
    openPanel(panel ? panel.dataset.commentId : null, link.dataset.claimId, link);
  }

  // Clicking highlighted text opens its claim (or a list when several claims cover it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".claim-layer a.claim-link[data-claim-id]");
    if (link) {
      event.preventDefault();
      openPanel(link.closest(".claim-layer").dataset.commentId, link.dataset.claimId, link);
      return;
    }
    var heat = event.target.closest && event.target.closest("span.heat[data-claims]");
    if (!heat) return;
    var selection = window.getSelection();
    if (selection && !selection.isCollapsed) return; // the reader is selecting, not clicking
    var body = heat.closest(".comment-body[data-comment-id]");
    var commentId = body.dataset.commentId;
    var ids = heat.dataset.claims.split(",");
    if (ids.length === 1) { openPanel(commentId, ids[0], heat); return; }
    chooseClaim(commentId, ids, heat);
  });

  function chooseClaim(commentId, ids, anchor) {
    var data = layerData(commentId);
    var byId = {};
    (data ? data.claims : []).forEach(function (claim) { byId[claim.id] = claim; });
    if (popover) popover.remove();
    var list = el("ul", { className: "claim-choice-list" });
    ids.forEach(function (id) {
      var claim = byId[id] || { exact: "claim " + id, disagree: 0, agree: 0 };
      var button = el("button", { type: "button", className: "link-button" }, [
        "“" + (claim.exact.length > 80 ? claim.exact.slice(0, 77) + "…" : claim.exact) + "” ",
        el("span", { className: "claim-tally", text: claim.disagree + " disagree · " + claim.agree + " agree" }),
      ]);
      button.addEventListener("click", function () { closePopover(); openPanel(commentId, id, anchor); });
      list.appendChild(el("li", {}, [button]));
    });
    popover = el("div", { className: "claim-popover", role: "dialog", "aria-label": "Claims covering this text" },
                 [el("p", { className: "claim-note", text: "Several claims cover this text:" }), list]);
    popover.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closePopover();
      else if (event.key === "Tab") trapFocus(popover, event);
    });
    document.body.appendChild(popover);
    positionNear(popover, anchor.getBoundingClientRect());
    lastFocus = anchor;
    list.querySelector("button").focus();
  }

  // Keyboard: highlighted text is focusable through the list under each comment; Enter on a
  // focused heat span also opens it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && popover) closePopover();
  });

  // Close the popover when clicking elsewhere.
  document.addEventListener("mousedown", function (event) {
    if (popover && !popover.contains(event.target) &&
        !(event.target.closest && event.target.closest("#selection-actions"))) {
      closePopover();
    }
  });

  // --- after a whole-comment disagree: offer "which part? why?" ------------------------------

  document.addEventListener("cruxes:whole-vote", function (event) {
    var detail = event.detail || {};
    var layer = layerFor(detail.commentId);
    if (!layer) return;
    var old = layer.querySelector(".which-part");
    if (old) old.remove();
    if (detail.stance !== "disagree" && detail.stance !== -1) return;
    var why = el("button", { type: "button", className: "link-button", text: "say why" });
    var dismiss = el("button", { type: "button", className: "link-button which-part-dismiss", "aria-label": "Dismiss", text: "×" });
    var hint = el("p", { className: "which-part", role: "status" }, [
      "Which part? Select it in the text to disagree with just that — or ", why, " for the whole comment. ", dismiss,
    ]);
    why.addEventListener("click", function () {
      hint.remove();
      var claimId = detail.claimId || (layerData(detail.commentId) || {}).wholeClaimId;
      if (claimId) openPanel(detail.commentId, claimId, why);
    });
    dismiss.addEventListener("click", function () { hint.remove(); });
    layer.insertBefore(hint, layer.firstChild);
  });

  // --- start -------------------------------------------------------------------------------

  function init() {
    document.querySelectorAll(".claim-layer[data-comment-id]").forEach(function (layer) {
      renderHeat(layer.dataset.commentId);
    });
    // The standalone claim page: wire its forms like the drawer's.
    var page = document.querySelector(".claim-page .claim-panel");
    if (page) {
      var container = page.parentNode;
      container.addEventListener("submit", function (event) {
        var form = event.target;
        if (!form.closest(".claim-panel")) return;
        if (form.method.toLowerCase() === "get") { event.preventDefault(); searchCruxes(form); }
      });
      container.addEventListener("input", onPanelInput);
      page.querySelectorAll("textarea[data-counter]").forEach(function (textarea) {
        var counter = document.getElementById(textarea.dataset.counter);
        if (counter) counterFor(textarea, counter);
      });
      if (!window.htmx) loadWhy(page);
    }
  }

  // Comments re-rendered by htmx (after an edit, a reply, a vote) bring fresh claim data.
  document.addEventListener("htmx:load", function (event) {
    var root = event.target;
    if (!root || !root.querySelectorAll) return;
    var layers = root.matches && root.matches(".claim-layer") ? [root] : root.querySelectorAll(".claim-layer[data-comment-id]");
    Array.prototype.forEach.call(layers, function (layer) {
      layer._claimData = null;
      renderHeat(layer.dataset.commentId);
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
