// My Pipeline: drag a deal card onto another stage's column. The move is saved with the
// version the board was opened at (a stale card is refused, not overwritten), then the board
// and its totals are reloaded from the server, which computes every figure.
(function () {
  "use strict";

  function message(text) {
    var box = document.getElementById("board-message");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function reload() {
    return fetch(window.location.href, { headers: { "HX-Request": "true" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        document.getElementById("board-area").innerHTML = html;
        wire();
      });
  }

  function move(card, stage) {
    var board = document.getElementById("board");
    var body = new URLSearchParams();
    body.set("csrf_token", board.dataset.csrf);
    body.set("stage", stage);
    body.set("version", card.dataset.version);
    card.classList.add("saving");
    return fetch("/pipeline/deals/" + card.dataset.id + "/stage", {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) {
          var errors = data.errors || {};
          message(errors.form || errors.stage || "The deal could not be moved.");
        } else {
          message("");
        }
        return reload();
      });
    });
  }

  function wire() {
    var dragged = null;
    document.querySelectorAll(".deal-card").forEach(function (card) {
      card.addEventListener("dragstart", function (e) {
        dragged = card;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", card.dataset.id);
        card.classList.add("dragging");
      });
      card.addEventListener("dragend", function () { card.classList.remove("dragging"); });
    });
    document.querySelectorAll(".board-col").forEach(function (col) {
      col.addEventListener("dragover", function (e) { e.preventDefault(); col.classList.add("over"); });
      col.addEventListener("dragleave", function () { col.classList.remove("over"); });
      col.addEventListener("drop", function (e) {
        e.preventDefault();
        col.classList.remove("over");
        var card = dragged || document.querySelector('.deal-card[data-id="' + e.dataTransfer.getData("text/plain") + '"]');
        dragged = null;
        if (!card || card.closest(".board-col") === col) return;
        col.querySelector(".cards").appendChild(card);
        move(card, col.dataset.stage);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", wire);
})();
