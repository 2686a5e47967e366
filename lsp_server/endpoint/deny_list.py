"""The built-in deny list: files whose text never leaves the machine, whatever the settings.

Why a list of names at all: a secret scanner finds what it has rules for; a credential file
(a kubeconfig, a Terraform state, a shell history) is sensitive as a whole, in formats no
rule covers. These names follow the sensitive-file signatures that secret scanners publish:

- gitrob (michenriksen/gitrob, ``core/signatures.go``): ``*_rsa``/``*_dsa``/``*_ed25519``/
  ``*_ecdsa``, ``*.pem``, ``*.ppk``, ``*.key``, ``*.pkcs12``/``*.p12``/``*.pfx``, ``*.asc``,
  ``*.ovpn``, ``*.cscfg``, ``*.rdp``, ``*.jks``, ``*.psafe3``, ``*.kdb``/``*.kdbx``,
  ``*.agilekeychain``/``*.keychain``, ``*.tblk``, ``*.tfvars``, ``.pgpass``, ``.s3cfg``,
  ``.boto``, ``.aws/credentials``, ``.git-credentials``, ``.dockercfg``, ``.npmrc``,
  ``.netrc``/``_netrc``, ``.htpasswd``, ``.esmtprc``, ``.ftpconfig``, ``sftp-config.json``,
  ``*_history`` shell and REPL histories, ``.my.cnf``, ``wp-config.php``, ``.env``;
- shhgit (eth0izzle/shhgit, ``config.yaml`` signatures), which extends the same list with
  ``*.tfstate``, ``.vault-token``, ``kubeconfig``/``.kube/config``, ``.docker/config.json``,
  ``*.keystore``, ``.pypirc``, ``pip.conf``, ``filezilla.xml``/``recentservers.xml``;
- the documented credential locations of cloud CLIs: gcloud (``application_default_
  credentials.json``, ``credentials.db``, ``access_tokens.db``), GCP service-account and
  OAuth client keys (``service-account*.json``, ``client_secret*.json``,
  ``*firebase-adminsdk*.json``), Azure (``.azure/accessTokens.json``,
  ``msal_token_cache.*``, ``*.publishsettings``), Terraform CLI (``.terraformrc``),
  Composer (``.composer/auth.json``).

Left out on purpose, because they would switch the product off on ordinary source: bare
``config.json``, ``settings.py``, ``env.py``, ``environment.ts``, ``database.yml`` and other
application configuration (gitrob flags some of them; the secret scanner covers them).

Patterns use gitignore syntax and are matched case-insensitively: ``.ENV`` is ``.env`` on
the file systems of macOS and Windows, and a name in upper case is no less a credential.
A pattern with no slash matches the name at any depth; ``**/dir/name`` matches that pair of
components anywhere (``.kube/config`` below a home directory or a workspace).
"""

from __future__ import annotations

DENY_LIST: tuple[str, ...] = (
    # dotenv and direnv files: `.env`, `.env.production`, `prod.env`, `.envrc`
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    # private keys, keystores and certificate bundles
    "*.pem",
    "*.key",
    "*.ppk",
    "*.p12",
    "*.pfx",
    "*.pkcs12",
    "*.jks",
    "*.keystore",
    "*.bks",
    "*.asc",
    "*.gpg",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*_rsa",
    "*_dsa",
    "*_ecdsa",
    "*_ed25519",
    ".ssh/",
    ".gnupg/",
    "secring.*",
    # password managers and VPN / remote-desktop profiles
    "*.kdb",
    "*.kdbx",
    "*.psafe3",
    "*.agilekeychain",
    "*.keychain",
    "*.keychain-db",
    "*.tblk",
    "*.ovpn",
    "*.rdp",
    # credential files of tools and package managers
    "credentials*",
    "secrets.*",
    ".git-credentials",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    "pip.conf",
    ".pgpass",
    ".my.cnf",
    ".mylogin.cnf",
    ".s3cfg",
    ".boto",
    "**/.aws/config",
    ".dockercfg",
    "**/.docker/config.json",
    "kubeconfig",
    "*.kubeconfig",
    "**/.kube/config",
    ".vault-token",
    ".vault_pass*",
    ".htpasswd",
    "htpasswd",
    "*.htpasswd",
    "proftpdpasswd",
    ".esmtprc",
    ".ftpconfig",
    "sftp-config.json",
    "filezilla.xml",
    "recentservers.xml",
    "sitemanager.xml",
    "**/.composer/auth.json",
    "wp-config.php",
    "keystore.properties",
    # cloud CLIs and service accounts
    "application_default_credentials.json",
    "**/gcloud/access_tokens.db",
    "**/gcloud/legacy_credentials/",
    "service-account*.json",
    "service_account*.json",
    "*firebase-adminsdk*.json",
    "client_secret*.json",
    "**/.azure/accesstokens.json",
    "msal_token_cache.*",
    "*.publishsettings",
    "*.cscfg",
    # infrastructure state and variables (values of every variable, secrets included)
    "*.tfvars",
    "*.tfvars.json",
    "*.tfstate",
    "*.tfstate.*",
    ".terraformrc",
    "terraform.rc",
    # shell, database and REPL histories (passwords typed on command lines)
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".history",
    ".mysql_history",
    ".psql_history",
    ".sqlite_history",
    ".rediscli_history",
    ".irb_history",
    ".python_history",
    ".node_repl_history",
)
