/* The dashboard's hotspot map: Leaflet over the configured tile server, with the force and district
   outlines shipped with ShopWatch always drawn underneath, so the map still reads when tiles cannot be
   reached. Data comes from the page (json_script); nothing here is inline, for the strict CSP. */
(function () {
  "use strict";
  var holder = document.getElementById("hotspot-map");
  var source = document.getElementById("hotspot-map-data");
  if (!holder || !source || typeof L === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var status = document.getElementById("hotspot-map-status");

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  var map = L.map(holder, { scrollWheelZoom: false, attributionControl: true });
  map.attributionControl.setPrefix(false);
  holder.classList.add("hotspot-map-ready");

  // The outlines: force areas lightly filled, districts outlined, named where hotspots lie.
  var outlines = L.geoJSON(data.outlines, {
    interactive: false,
    style: function (feature) {
      if (feature.properties.kind === "force") {
        return { color: "#0b0c0c", weight: 2.5, fillColor: "#f3f2f1", fillOpacity: 0.55 };
      }
      return { color: "#505a5f", weight: 1, dashArray: "4 3", fill: false };
    }
  }).addTo(map);
  map.attributionControl.addAttribution(escapeText(data.outlines_attribution));

  var labels = L.layerGroup().addTo(map);
  data.outlines.features.forEach(function (feature) {
    var p = feature.properties;
    if (p.kind === "force" || p.labelled) {
      // District names sit just above their middle, so a hotspot there stays in sight.
      L.tooltip({
        permanent: true,
        interactive: false,
        direction: p.kind === "force" ? "center" : "top",
        offset: p.kind === "force" ? [0, 0] : [0, -14],
        className: p.kind === "force" ? "map-label map-label-force" : "map-label"
      })
        .setLatLng(p.label)
        .setContent(escapeText(p.name))
        .addTo(labels);
    }
  });

  var hexes = L.featureGroup().addTo(map);
  data.hexes.forEach(function (h) {
    L.polygon(h.boundary, {
      color: "#0b0c0c",
      weight: 2,
      fillColor: h.colour,
      fillOpacity: 0.85
    })
      .bindTooltip(escapeText(h.area + ": " + h.display + " incidents"))
      .addTo(hexes);
  });

  var signage = L.featureGroup();
  data.signage.forEach(function (s) {
    L.circleMarker([s.lat, s.lng], {
      radius: 7,
      color: "#ffffff",
      weight: 2,
      fillColor: data.signage_colour,
      fillOpacity: 1
    })
      .bindTooltip(escapeText(s.name + ": displays " + s.product + " signage"))
      .addTo(signage);
  });
  if (data.signage.length) {
    signage.addTo(map);
  }

  var bounds = hexes.getLayers().length ? hexes.getBounds() : outlines.getBounds();
  if (data.signage.length) {
    bounds = bounds.isValid() ? bounds.extend(signage.getBounds()) : signage.getBounds();
  }
  if (bounds.isValid()) {
    map.fitBounds(bounds.pad(0.15), { maxZoom: 13 });
  } else {
    map.setView([52.5, -1.5], 6);
  }

  if (data.tiles_url) {
    var failed = false;
    var tiles = L.tileLayer(data.tiles_url, {
      attribution: escapeText(data.tiles_attribution),
      maxZoom: 18,
      crossOrigin: false
    });
    tiles.on("tileerror", function () {
      // Tiles out of reach: keep the outlines, stop asking for more tiles, and say so.
      if (failed) {
        return;
      }
      failed = true;
      map.removeLayer(tiles);
      holder.classList.add("hotspot-map-offline");
      say("Map tiles could not be loaded: the map shows force and district outlines only.");
    });
    tiles.on("load", function () {
      if (!failed) {
        say("");
      }
    });
    tiles.addTo(map);
    tiles.bringToBack();
  } else {
    holder.classList.add("hotspot-map-offline");
    say("The map shows force and district outlines (no map tiles are configured).");
  }
})();
