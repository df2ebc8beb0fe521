/* Discussion page behaviour: collapse branches, permalinks, inline replies, quote-in-reply,
 * the selection toolbar, vote events and toasts. Everything works without this file too
 * (plain links and forms); this only avoids reloads.
 *
 * Events other scripts can use:
 *   document "cruxes:selection"  detail {commentId, range}  a selection inside one comment body settled
 *   document "cruxes:whole-vote" detail {commentId, claimId, stance}  the reader disagreed with a whole comment
 */
(function () {
  "use strict";

  const MAX_INDENT = 6;

  // --- The comment tree is a flat list: a comment's replies are the following comments
  // --- with a greater depth.

  function depthOf(article) {
    return parseInt(article.dataset.depth || "0", 10) || 0;
  }

  function descendantsOf(article) {
    const result = [];
    const depth = depthOf(article);
    let next = article.nextElementSibling;
    while (next && next.matches("article.comment") && depthOf(next) > depth) {
      result.push(next);
      next = next.nextElementSibling;
    }
    return result;
  }

  function setDepth(article, depth) {
    article.dataset.depth = String(depth);
    article.dataset.indent = String(Math.min(depth, MAX_INDENT));
    article.classList.toggle("is-deep", depth > MAX_INDENT);
  }

  function ownPart(article, selector) {
    return article.querySelector(":scope > .comment__inner " + selector);
  }

  // --- Collapse / expand --------------------------------------------------------------

  function setCollapsed(article, collapsed) {
    const button = ownPart(article, ".collapse-toggle");
    const note = ownPart(article, ".collapsed-note");
    const descendants = descendantsOf(article);
    article.classList.toggle("is-collapsed", collapsed);
    if (button) {
      button.setAttribute("aria-expanded", String(!collapsed));
      button.setAttribute("aria-label", collapsed ? "Expand this comment and its replies" : "Collapse this comment and its replies");
      button.title = collapsed ? "Expand" : "Collapse";
    }
    if (collapsed) {
      descendants.forEach(function (reply) { reply.hidden = true; });
      if (note) {
        const count = descendants.length;
        note.textContent = count === 0 ? "(collapsed)" : count + (count === 1 ? " reply hidden" : " replies hidden");
        note.hidden = false;
      }
      return;
    }
    if (note) { note.hidden = true; note.textContent = ""; }
    // Show the branch again, except what sits under a reply that is itself collapsed.
    let collapsedAt = null;
    descendants.forEach(function (reply) {
      const depth = depthOf(reply);
      if (collapsedAt !== null && depth > collapsedAt) return;
      collapsedAt = null;
      reply.hidden = false;
      if (reply.classList.contains("is-collapsed")) collapsedAt = depth;
    });
  }

  // --- Permalinks ---------------------------------------------------------------------

  function revealComment(article) {
    // Open every collapsed ancestor (walking back through the flat list).
    let depth = depthOf(article);
    let previous = article.previousElementSibling;
    while (previous && depth > 0) {
      if (previous.matches("article.comment") && depthOf(previous) < depth) {
        if (previous.classList.contains("is-collapsed")) setCollapsed(previous, false);
        depth = depthOf(previous);
      }
      previous = previous.previousElementSibling;
    }
    if (article.classList.contains("is-collapsed")) setCollapsed(article, false);
  }

  function highlightFromHash() {
    const match = /^#(c-\d+)$/.exec(window.location.hash);
    if (!match) return;
    const article = document.getElementById(match[1]);
    if (!article || !article.matches("article.comment")) return;
    revealComment(article);
    document.querySelectorAll("article.comment.is-target").forEach(function (el) { el.classList.remove("is-target"); });
    article.classList.add("is-target");
    article.scrollIntoView({ block: "start" });
  }

  // --- Toasts -------------------------------------------------------------------------

  function toast(message, level) {
    const region = document.getElementById("toasts");
    if (!region) return;
    const box = document.createElement("div");
    box.className = "toast toast--" + (level || "info");
    box.setAttribute("role", "alert");
    const text = document.createElement("span");
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    box.append(text, close);
    region.append(box);
    scheduleToastRemoval(box);
  }

  function scheduleToastRemoval(box) {
    window.setTimeout(function () { box.remove(); }, 8000);
  }

  // --- Writing ------------------------------------------------------------------------

  function placeNewComment(article) {
    const slot = article.parentElement;
    if (slot && slot.classList.contains("reply-slot")) {
      // A reply: after the last comment of its parent's branch, one level deeper.
      const parent = slot.closest("article.comment");
      if (parent && !parent.classList.contains("comment--opening")) {
        const branch = descendantsOf(parent);
        setDepth(article, depthOf(parent) + 1);
        (branch.length ? branch[branch.length - 1] : parent).after(article);
      } else {
        appendTopLevel(article);
      }
    } else if (!article.closest("#comment-list")) {
      appendTopLevel(article);
    } else {
      return;
    }
    article.classList.add("is-new");
    article.scrollIntoView({ block: "nearest" });
  }

  function appendTopLevel(article) {
    const list = document.getElementById("comment-list");
    if (!list) return;
    const empty = list.querySelector(".comment-list__empty");
    if (empty) empty.remove();
    setDepth(article, 0);
    list.append(article);
  }

  function composerTextarea() {
    return document.querySelector("#composer textarea");
  }

  function appendToTextarea(textarea, text) {
    const existing = textarea.value.replace(/\s+$/, "");
    textarea.value = existing ? existing + "\n\n" + text : text;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  function quoteAsMarkdown(text) {
    const lines = text.replace(/\r\n?/g, "\n").replace(/^\s+|\s+$/g, "").split("\n");
    return lines.map(function (line) { return line.trim() ? "> " + line : ">"; }).join("\n") + "\n\n";
  }

  /** Open the reply form under `article` (or use the composer for the opening post), then
   *  hand its textarea to `then`. Anonymous readers are sent to the login page. */
  function openReplyForm(article, then) {
    if (article.classList.contains("comment--opening")) {
      const textarea = composerTextarea();
      if (textarea) { textarea.scrollIntoView({ block: "center" }); then(textarea); return; }
      window.location.assign(ownPart(article, ".reply-to-opening").getAttribute("href"));
      return;
    }
    const slot = ownPart(article, ".reply-slot");
    const existing = slot && slot.querySelector("textarea");
    if (existing) { then(existing); return; }
    const link = ownPart(article, ".reply-link");
    if (!link || !slot || !window.htmx) {
      const fallback = ownPart(article, ".comment__actions a.comment__action");
      if (fallback) window.location.assign(fallback.getAttribute("href"));
      return;
    }
    window.htmx.ajax("GET", link.getAttribute("href"), { target: slot, swap: "innerHTML" }).then(function () {
      const textarea = slot.querySelector("textarea");
      if (textarea) then(textarea);
    });
  }

  // --- Selection toolbar --------------------------------------------------------------

  const selectionState = { commentId: null, text: "", pointerDown: false, timer: null };

  function selectionActions() {
    return document.getElementById("selection-actions");
  }

  function bodyOfNode(node) {
    const element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return element ? element.closest(".comment-body") : null;
  }

  function hideSelectionActions() {
    const bar = selectionActions();
    if (bar) bar.hidden = true;
    selectionState.commentId = null;
    selectionState.text = "";
  }

  function selectionSettled() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { hideSelectionActions(); return; }
    const range = selection.getRangeAt(0);
    const body = bodyOfNode(range.startContainer);
    if (!body || body !== bodyOfNode(range.endContainer) || !range.toString().trim()) { hideSelectionActions(); return; }
    document.dispatchEvent(new CustomEvent("cruxes:selection", {
      detail: { commentId: body.dataset.commentId, range: range.cloneRange() },
    }));
  }

  function scheduleSelectionCheck(delay) {
    window.clearTimeout(selectionState.timer);
    selectionState.timer = window.setTimeout(selectionSettled, delay);
  }

  function showSelectionActions(commentId, range) {
    const bar = selectionActions();
    if (!bar) return;
    selectionState.commentId = commentId;
    selectionState.text = range.toString();
    bar.dataset.commentId = commentId;
    bar.hidden = false;
    const rects = range.getClientRects();
    const rect = rects.length ? rects[0] : range.getBoundingClientRect();
    const width = bar.offsetWidth;
    const height = bar.offsetHeight;
    const viewport = document.documentElement.clientWidth;
    let left = rect.left + window.scrollX + rect.width / 2 - width / 2;
    left = Math.max(window.scrollX + 8, Math.min(left, window.scrollX + viewport - width - 8));
    let top = rect.top + window.scrollY - height - 8;
    if (rect.top - height - 8 < 56) top = rect.bottom + window.scrollY + 8; // under the sticky header
    // CSSOM writes are allowed under our style-src CSP (style="" attributes are not).
    bar.style.left = left + "px";
    bar.style.top = top + "px";
  }

  function quoteSelection() {
    const commentId = selectionState.commentId;
    const text = selectionState.text;
    if (!commentId || !text.trim()) return;
    const article = document.getElementById("c-" + commentId);
    if (!article) return;
    hideSelectionActions();
    const selection = window.getSelection();
    if (selection) selection.removeAllRanges();
    openReplyForm(article, function (textarea) { appendToTextarea(textarea, quoteAsMarkdown(text)); });
  }

  // --- Wiring -------------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;

    const toggle = target.closest(".collapse-toggle");
    if (toggle) {
      const article = toggle.closest("article.comment");
      if (article) setCollapsed(article, toggle.getAttribute("aria-expanded") === "true");
      return;
    }
    const cancel = target.closest(".reply-cancel");
    if (cancel) {
      const slot = cancel.closest(".reply-slot");
      if (slot) slot.replaceChildren();
      return;
    }
    const replyToOpening = target.closest(".reply-to-opening");
    if (replyToOpening) {
      const textarea = composerTextarea();
      if (textarea) {
        event.preventDefault();
        textarea.scrollIntoView({ block: "center" });
        textarea.focus();
      }
      return;
    }
    const close = target.closest(".toast__close");
    if (close) {
      close.closest(".toast").remove();
      return;
    }
    const action = target.closest("[data-selection-action='quote']");
    if (action) {
      event.preventDefault();
      quoteSelection();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideSelectionActions(); return; }
    const field = event.target;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && field instanceof HTMLTextAreaElement) {
      const form = field.closest("form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
    }
  });

  // Keep the text selected while a toolbar button is pressed.
  document.addEventListener("mousedown", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("#selection-actions")) { event.preventDefault(); return; }
    selectionState.pointerDown = true;
  });
  document.addEventListener("mouseup", function () {
    selectionState.pointerDown = false;
    scheduleSelectionCheck(10);
  });
  document.addEventListener("selectionchange", function () {
    if (!selectionState.pointerDown) scheduleSelectionCheck(200);
  });
  document.addEventListener("cruxes:selection", function (event) {
    showSelectionActions(event.detail.commentId, event.detail.range);
  });

  window.addEventListener("hashchange", highlightFromHash);

  // Which vote button was pressed: the button is swapped away before the response lands.
  let lastWholeVote = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (elt instanceof Element && (elt.classList.contains("vote-agree") || elt.classList.contains("vote-disagree"))) {
      const widget = elt.closest(".votes");
      lastWholeVote = { commentId: widget ? widget.dataset.commentId : null, disagree: elt.classList.contains("vote-disagree") };
    }
  });

  document.addEventListener("htmx:load", function (event) {
    const elt = event.detail.elt;
    if (!(elt instanceof Element)) return;
    if (elt.matches("article.comment")) { placeNewComment(elt); return; }
    if (elt.matches(".votes") && lastWholeVote && lastWholeVote.commentId === elt.dataset.commentId) {
      const vote = lastWholeVote;
      lastWholeVote = null;
      if (vote.disagree && elt.dataset.myStance === "-1") {
        document.dispatchEvent(new CustomEvent("cruxes:whole-vote", {
          detail: { commentId: elt.dataset.commentId, claimId: elt.dataset.claimId, stance: "disagree" },
        }));
      }
      return;
    }
    if (elt.matches(".reply-form")) {
      const textarea = elt.querySelector("textarea");
      if (textarea && !elt.querySelector(".field-errors")) textarea.focus();
    }
    if (elt.matches(".comment__inner")) {
      const textarea = elt.querySelector(".edit-form textarea");
      if (textarea) textarea.focus();
    }
    if (elt.matches(".toast")) scheduleToastRemoval(elt);
  });

  // 400/403 swap (a re-rendered form, or a toast the server retargeted). A 403 that is not
  // ours (e.g. Django's CSRF failure page) must not land inside a vote widget: toast instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr && xhr.status === 403 && !xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = false;
      toast("That was refused. Reload the page (your session may have expired) and try again.", "error");
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    const messages = {
      404: "That no longer exists. Reload the page to see the latest.",
      405: "That action isn't available here.",
      429: "Too many requests. Wait a moment and try again.",
    };
    toast(messages[status] || "Something went wrong (" + status + "). Reload the page and try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Couldn't reach the server. Check your connection and try again.", "error");
  });

  highlightFromHash();
})();
