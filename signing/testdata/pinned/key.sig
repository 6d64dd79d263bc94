{
  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
  "verificationMaterial": {
    "publicKey": {
      "hint": "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"
    },
    "tlogEntries": []
  },
  "dsseEnvelope": {
    "payload": "ewogICJfdHlwZSI6ICJodHRwczovL2luLXRvdG8uaW8vU3RhdGVtZW50L3YxIiwKICAic3ViamVjdCI6IFsKICAgIHsKICAgICAgIm5hbWUiOiAicGlubmVkLW1vZGVsIiwKICAgICAgImRpZ2VzdCI6IHsKICAgICAgICAic2hhMjU2IjogIjhlYWU5YTFjYjk1ZGU1NDhjOWQzMjQ1MzNmMWM0N2Y5Y2MwYmE1Y2U1YWNlZGQ1OTk1NmY5NjU4NTg0M2Q1ODIiCiAgICAgIH0KICAgIH0KICBdLAogICJwcmVkaWNhdGVUeXBlIjogImh0dHBzOi8vbW9kZWxfc2lnbmluZy9zaWduYXR1cmUvdjEuMCIsCiAgInByZWRpY2F0ZSI6IHsKICAgICJzZXJpYWxpemF0aW9uIjogewogICAgICAibWV0aG9kIjogImZpbGVzIiwKICAgICAgImhhc2hfdHlwZSI6ICJzaGEyNTYiLAogICAgICAiYWxsb3dfc3ltbGlua3MiOiBmYWxzZSwKICAgICAgImlnbm9yZV9wYXRocyI6IFsKICAgICAgICAiLmdpdCIsCiAgICAgICAgIi5naXRhdHRyaWJ1dGVzIiwKICAgICAgICAiLmdpdGh1YiIsCiAgICAgICAgIi5naXRpZ25vcmUiCiAgICAgIF0KICAgIH0sCiAgICAicmVzb3VyY2VzIjogWwogICAgICB7CiAgICAgICAgIm5hbWUiOiAic3ViL2NvbmZpZy5qc29uIiwKICAgICAgICAiYWxnb3JpdGhtIjogInNoYTI1NiIsCiAgICAgICAgImRpZ2VzdCI6ICI4NjhiMjg5NzgxYTU4YTRjMjE0NzJjNWVlMjI1YmZlNTIzMmVjY2VlNGUzMDA1ZWM0Mjg0MDMzNGQ2MDNlMzNlIgogICAgICB9LAogICAgICB7CiAgICAgICAgIm5hbWUiOiAid2VpZ2h0cy5iaW4iLAogICAgICAgICJhbGdvcml0aG0iOiAic2hhMjU2IiwKICAgICAgICAiZGlnZXN0IjogImFjZDJmNzVmYjM0MWZlYzljZWQ2MzYyZGUyOGM3M2U2Njg2OWQ3YzM2NDkwZGY3OGFjZjA4ZjBmMmU0NDk2YzQiCiAgICAgIH0KICAgIF0KICB9Cn0=",
    "payloadType": "application/vnd.in-toto+json",
    "signatures": [
      {
        "sig": "Zml4ZWQgc2lnbmF0dXJlIGJ5dGVz",
        "keyid": ""
      }
    ]
  }
}
