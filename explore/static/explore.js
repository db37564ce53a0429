// Earshot Explore: the little script there is. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a correction, the page returns to the corrected post: move the keyboard focus there.
  const notice = document.querySelector(".notice[role=status]");
  const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  if (notice && target) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  } else if (notice) {
    // the post left the list (the teach page: it is labelled): start again at the content
    document.getElementById("main")?.focus();
  }
});
