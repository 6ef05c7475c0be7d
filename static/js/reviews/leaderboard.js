// The leaderboard: choosing another release in the list opens its leaderboard (a script file,
// since the Content-Security-Policy runs no inline handler).
const pick = document.getElementById("release-pick");
pick?.addEventListener("change", () => {
  if (pick.value) location.href = pick.value;
});
