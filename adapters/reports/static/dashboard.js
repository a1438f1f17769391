// The dashboard tab inside Teams: sign in with Teams SSO, then show the member's circle.
// The token goes to our own /tabs/dashboard/view, which validates it server-side.
(function () {
  "use strict";
  var main = document.getElementById("dashboard");
  var THEMES = { dark: "theme-dark", contrast: "theme-contrast" };

  function say(text) {
    main.textContent = text;
  }

  function setTheme(theme) {
    document.body.className = THEMES[theme] || "theme-light";
  }

  function downloadWith(token) {
    var link = main.querySelector("a.csv[data-bearer]");
    if (!link) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      fetch(link.getAttribute("href"), { headers: { Authorization: "Bearer " + token } })
        .then(function (response) { return response.blob(); })
        .then(function (blob) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = link.getAttribute("data-filename") || "incidents.csv";
          a.click();
        });
    });
  }

  var teams = window.microsoftTeams;
  if (!teams || window.parent === window) {
    say("Open this dashboard from the circlebot tab in Teams, or from the link on a /report card.");
    return;
  }
  var channel = "";
  teams.app.initialize()
    .then(function () { return teams.app.getContext(); })
    .then(function (context) {
      setTheme(context.app.theme);
      teams.app.registerOnThemeChangeHandler(setTheme);
      channel = (context.channel && context.channel.id) || "";
      return teams.authentication.getAuthToken();
    })
    .then(function (token) {
      var query = new URLSearchParams(window.location.search);
      if (channel) query.set("channel", channel);
      return fetch("/tabs/dashboard/view?" + query.toString(), { headers: { Authorization: "Bearer " + token } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          main.innerHTML = html;  // rendered and escaped by the server
          downloadWith(token);
        });
    })
    .catch(function (error) {
      say("Teams could not sign you in (" + error + "). Reload the tab, or ask your admin to consent to circlebot.");
    });
})();
