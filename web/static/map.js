// The map of web/templates/map.html: the filtered points from the page's GeoJSON endpoint,
// clustered, each with a popup of its text, photo, status and moderation buttons. Built with
// the DOM (textContent), never from HTML strings, so a resident's text stays text. Without
// JavaScript the table below the map shows the same points.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var words = JSON.parse(document.getElementById("map-words").textContent);
  var map = L.map(element, { scrollWheelZoom: false }).setView([59.33, 18.06], 12);
  L.tileLayer(element.dataset.tiles, {
    maxZoom: 19,
    attribution: element.dataset.attribution
  }).addTo(map);
  var colours = { idea: "#0b4f8a", tip: "#8a1c1c", answer: "#2e5e1f", finding: "#6b3fa0" };

  function add(parent, tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    parent.appendChild(node);
    return node;
  }

  function hidden(form, name, value) {
    var input = add(form, "input");
    input.type = "hidden"; input.name = name; input.value = value;
  }

  function moderation(parent, p) {
    p.actions.forEach(function (action) {
      var form = add(parent, "form", null, "moderate");
      form.method = "post"; form.action = p.action_url;
      hidden(form, "_xsrf", words.xsrf);
      hidden(form, "status", action.status);
      hidden(form, "next", words.next);
      if (action.status === "hidden") {
        var id = "popup-reason-" + p.key;
        var label = add(form, "label", words.hide); label.htmlFor = id;
        var select = add(form, "select"); select.id = id; select.name = "reason";
        words.reasons.forEach(function (reason) {
          var option = add(select, "option", reason[1]); option.value = reason[0];
        });
      } else if (action.status === "wont_fix" || action.status === "duplicate") {
        // Won't fix says why; a duplicate names its original's number.
        var why = action.status === "wont_fix";
        var fieldId = "popup-" + action.status + "-" + p.key;
        var caption = add(form, "label", why ? words.wont_fix : words.duplicate);
        caption.htmlFor = fieldId;
        var input = add(form, "input"); input.id = fieldId; input.required = true;
        input.name = why ? "status_reason" : "duplicate_of";
        input.type = why ? "text" : "number";
        if (!why) { input.min = "1"; input.className = "number"; }
      }
      var button = add(form, "button", action.label); button.type = "submit";
    });
  }

  function popup(p) {
    var box = document.createElement("div");
    box.className = "popup";
    add(box, "strong", p.kind_label + (p.category ? " · " + p.category : ""));
    if (p.campaign) { add(box, "p", p.campaign); }
    if (p.walk) { add(box, "p", p.walk); }
    if (p.text) { add(box, "p", p.text); }
    if (p.place) { add(box, "p", p.place); }
    p.answers.forEach(function (pair) { add(box, "p", pair[0] + ": " + pair[1]); });
    if (p.photo) {
      var image = add(box, "img"); image.src = p.photo; image.alt = words.photo;
      image.loading = "lazy";
    }
    var facts = [p.date, p.time_of_day, p.status_label, p.status_detail].filter(Boolean).join(" · ");
    add(box, "p", facts);
    if (p.loop && p.loop.length) { add(box, "p", p.loop.join(" · "), "loop"); }
    moderation(box, p);
    if (p.triage_url) {
      var link = add(box, "a", words.triage); link.href = p.triage_url;
    }
    return box;
  }

  fetch(element.dataset.points, { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : { features: [] }; })
    .then(function (data) {
      var cluster = L.markerClusterGroup();
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {
            radius: 8, weight: 2, color: "#fff", fillOpacity: 0.9,
            fillColor: colours[feature.properties.kind] || "#333"
          });
        },
        onEachFeature: function (feature, marker) {
          // Narrow enough for a phone, panned clear of the zoom buttons at the top left, and
          // never taller than the map (a short laptop screen): the popup scrolls instead. Its
          // width: the map's less the 56 px kept clear at the left, 16 at the right and the
          // popup's own 46 px of margins, so that its right side (and ×) is not cut off.
          marker.bindPopup(function () { return popup(feature.properties); }, {
            maxWidth: Math.max(160, Math.min(320, element.clientWidth - 120)),
            maxHeight: Math.max(element.clientHeight - 60, 160),
            autoPanPaddingTopLeft: L.point(56, 16),
            autoPanPaddingBottomRight: L.point(16, 16)
          });
        }
      });
      cluster.addLayer(layer);
      map.addLayer(cluster);
      if (data.features.length) { map.fitBounds(cluster.getBounds(), { maxZoom: 16, padding: [20, 20] }); }
    });
})();
