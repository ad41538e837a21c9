// Gatehouse passkeys: the one script the pages load. It runs the WebAuthn
// ceremonies for the elements that ask for one and does nothing else.
//
//   <button data-passkey="get|create" data-options="/…/options"
//           data-form="form-id" data-error="error-id" hidden>
//
// A click fetches the ceremony's options (POST, JSON, with the form's CSRF
// token in the X-CSRF-Token header), asks the browser for a passkey, puts
// the answer (JSON) in the form's "credential" field and submits the form,
// so the server answers with a page, as for any other form. A "get" button
// with data-conditional also offers the passkeys in the username field's
// autofill (conditional mediation), where the browser supports it.
// Buttons stay hidden in browsers without WebAuthn.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function decode(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) {
      out[i] = b.charCodeAt(i);
    }
    return out.buffer;
  }

  function encode(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIDs(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: decode(c.id) });
    });
  }

  function creationOptions(o) {
    var p = Object.assign({}, o.publicKey);
    p.challenge = decode(p.challenge);
    p.user = Object.assign({}, p.user, { id: decode(p.user.id) });
    p.excludeCredentials = withIDs(p.excludeCredentials);
    return p;
  }

  function requestOptions(o) {
    var p = Object.assign({}, o.publicKey);
    p.challenge = decode(p.challenge);
    if (p.allowCredentials) {
      p.allowCredentials = withIDs(p.allowCredentials);
    }
    return p;
  }

  function credentialJSON(c) {
    var r = c.response;
    var out = {
      id: c.id,
      rawId: encode(c.rawId),
      type: c.type,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: encode(r.clientDataJSON) }
    };
    if (c.authenticatorAttachment) {
      out.authenticatorAttachment = c.authenticatorAttachment;
    }
    if (r.attestationObject) {
      out.response.attestationObject = encode(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = encode(r.authenticatorData);
      out.response.signature = encode(r.signature);
      if (r.userHandle) {
        out.response.userHandle = encode(r.userHandle);
      }
    }
    return out;
  }

  function fetchOptions(url, form) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
      body: "{}"
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          throw new Error(body.error_description || "Passkeys are not available right now. Try again later.");
        }
        return body;
      });
    });
  }

  function showError(btn, message) {
    var el = document.getElementById(btn.dataset.error || "");
    if (el) {
      el.textContent = message;
      el.hidden = false;
    }
  }

  var pending = null; // the AbortController of a conditional request

  function run(btn, conditional) {
    var form = document.getElementById(btn.dataset.form);
    var create = btn.dataset.passkey === "create";
    if (pending) {
      pending.abort();
      pending = null;
    }
    var abort = new AbortController();
    if (conditional) {
      pending = abort;
    }
    return fetchOptions(btn.dataset.options, form).then(function (o) {
      if (create) {
        return navigator.credentials.create({ publicKey: creationOptions(o) });
      }
      var req = { publicKey: requestOptions(o), signal: abort.signal };
      if (conditional) {
        req.mediation = "conditional";
      }
      return navigator.credentials.get(req);
    }).then(function (cred) {
      if (!cred) {
        return;
      }
      form.elements.credential.value = JSON.stringify(credentialJSON(cred));
      form.submit();
    }).catch(function (err) {
      if (err && err.name === "AbortError") {
        return; // replaced by another request
      }
      if (err && err.name === "NotAllowedError") {
        if (!conditional) {
          showError(btn, "No passkey was used. You can try again.");
        }
        return;
      }
      if (err && err.name === "InvalidStateError") {
        showError(btn, "This passkey is registered already.");
        return;
      }
      showError(btn, (err && err.message) || "The passkey could not be used.");
    });
  }

  var buttons = document.querySelectorAll("[data-passkey]");
  Array.prototype.forEach.call(buttons, function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function (ev) {
      ev.preventDefault();
      run(btn, false);
    });
    if (btn.hasAttribute("data-conditional") && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) {
          run(btn, true);
        }
      });
    }
  });
})();
