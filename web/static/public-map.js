// The public results' grid map: squares of 5 answers or more, darker with more answers.
// The same squares are listed in the table under the map, for keyboards and screen readers.
(function () {
  "use strict";
  var element = document.getElementById("grid-map");
  var data = document.getElementById("grid-cells");
  if (!element || !data || typeof L === "undefined") {
    return;
  }
  var cells = JSON.parse(data.textContent);
  var top = Number(element.dataset.top) || 1;
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, {
    maxZoom: 19,
    attribution: element.dataset.attribution,
  }).addTo(map);
  var bounds = [];
  cells.forEach(function (cell) {
    var corners = [
      [cell.south, cell.west],
      [cell.north, cell.east],
    ];
    // From a light to the full Purple Flag purple; never fully transparent.
    var opacity = 0.25 + 0.6 * (cell.count / top);
    L.rectangle(corners, {
      color: "#4b2e83",
      weight: 1,
      fillColor: "#6a4c93",
      fillOpacity: opacity,
    })
      .bindTooltip(cell.label)
      .addTo(map);
    bounds.push(corners[0], corners[1]);
  });
  map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
})();
