// The book's code toggle: on a page with code cells (a notebook's), one button under the title hides or shows
// every code cell's input. The code is shown until the reader hides it; the choice holds for the other pages.
(() => {
  const HIDDEN = "mnist-code-hidden"; // on <html> while the code is hidden (code_toggle.css)
  const KEY = "mnist-cnn-book-code"; // where the reader's choice is kept: "hidden" or "shown"

  function remembered() {
    try {
      return window.localStorage.getItem(KEY) === "hidden";
    } catch {
      return false; // storage refused: the default, the code shown
    }
  }

  function remember(hidden) {
    try {
      window.localStorage.setItem(KEY, hidden ? "hidden" : "shown");
    } catch {
      // the choice holds for this page only
    }
  }

  function setUp() {
    if (!document.querySelector(".cell .cell_input")) {
      return; // a guide: no code cells
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "mnist-code-toggle";
    const show = (hidden) => {
      document.documentElement.classList.toggle(HIDDEN, hidden);
      button.textContent = hidden ? "Show the code" : "Hide the code";
    };
    button.addEventListener("click", () => {
      const hidden = !document.documentElement.classList.contains(HIDDEN);
      show(hidden);
      remember(hidden);
    });
    show(remembered());
    const main = document.querySelector("article") || document.body;
    const title = main.querySelector("h1");
    if (title) {
      title.insertAdjacentElement("afterend", button);
    } else {
      main.prepend(button);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
