// The configuration page of the channel tab: one choice (the dashboard of this channel's circle).
(function () {
  "use strict";
  var teams = window.microsoftTeams;
  if (!teams) return;
  teams.app.initialize().then(function () {
    var origin = window.location.origin;
    teams.pages.config.registerOnSaveHandler(function (saveEvent) {
      teams.pages.config.setConfig({
        entityId: "circlebot-dashboard",
        contentUrl: origin + "/tabs/dashboard?theme={theme}",
        websiteUrl: origin + "/tabs/dashboard",
        suggestedDisplayName: "Circle dashboard"
      }).then(function () { saveEvent.notifySuccess(); });
    });
    teams.pages.config.setValidityState(true);
  });
})();
