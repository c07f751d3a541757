/*
 * NAME
 *	catalog - every finding smtp-audit can report
 *
 * DESCRIPTION
 *	The text a mail administrator reads for each finding: what was
 *	observed and why it matters, a product-neutral remediation, concrete
 *	configuration for each mail server the fingerprint recognises, and
 *	references. Parameter names were checked against each product's own
 *	documentation (postconf(5), the Exim specification and default
 *	configure file, the sendmail cf README and operations guide, the
 *	Exchange Server cmdlet reference, smtpd.conf(5) of OpenSMTPD 6.4 and
 *	later). Where a product has no setting for a check, the advice says
 *	where the check has to live instead.
 *
 *	An entry's index and public id come from one name in CATALOG_MAP, so
 *	they cannot diverge. Text is ASCII without tabs; titles are one line
 *	without a trailing period; advice may span lines separated by "\n".
 *
 *	Passing an id, mta or severity outside its enum is a programming
 *	error and asserts.
 */
#include "catalog.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* One member per public id, so an entry can name its id by its suffix. */
static const struct catalog_public_ids {
#define CATALOG_ID_MEMBER(name, public_id) char name[sizeof(public_id)];
	CATALOG_MAP(CATALOG_ID_MEMBER)
#undef CATALOG_ID_MEMBER
} catalog_public_ids = {
#define CATALOG_ID_TEXT(name, public_id) .name = public_id,
    CATALOG_MAP(CATALOG_ID_TEXT)
#undef CATALOG_ID_TEXT
};

#define CATALOG_ENTRY(name, ...)                                                                   \
	[CATALOG_##name] = {.public_id = catalog_public_ids.name, __VA_ARGS__}

/*
 * Advice shared by several entries: the relay policy (open relay, proven
 * relay) and the statements about mechanisms a product does not implement.
 */
#define CATALOG_POSTFIX_RELAY_POLICY                                                               \
	"Check the relay policy with:\n"                                                           \
	"postconf mynetworks relay_domains smtpd_relay_restrictions "                              \
	"smtpd_recipient_restrictions\n"                                                           \
	"mynetworks must list only your own networks (never 0.0.0.0/0), e.g.\n"                    \
	"mynetworks = 127.0.0.0/8 [::1]/128 192.0.2.0/24\n"                                        \
	"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "                \
	"reject_unauth_destination\n"                                                              \
	"relay_domains may list only domains you are a backup MX for, and no permit or OK "        \
	"result may come before reject_unauth_destination. Then run postfix reload."

#define CATALOG_EXIM_RELAY_POLICY                                                                  \
	"relay_from_hosts must list only your own networks and relay_to_domains only domains you " \
	"are MX for, e.g.\n"                                                                       \
	"hostlist relay_from_hosts = <; 127.0.0.1 ; ::1 ; 192.0.2.0/24\n"                          \
	"In acl_smtp_rcpt, after the accept rules for hosts = +relay_from_hosts and "              \
	"authenticated = *, keep:\n"                                                               \
	"require message = relay not permitted\n"                                                  \
	"        domains = +local_domains : +relay_to_domains\n"                                   \
	"require verify  = recipient"

#define CATALOG_SENDMAIL_RELAY_POLICY                                                              \
	"Remove FEATURE(`promiscuous_relay') and FEATURE(`relay_based_on_MX') from sendmail.mc, "  \
	"and do not relay on the sender address (FEATURE(`relay_local_from'), "                    \
	"FEATURE(`relay_mail_from')): it is forged at will. In /etc/mail/access, RELAY may only "  \
	"follow Connect: entries for your own networks and To: entries for domains you are MX "    \
	"for:\n"                                                                                   \
	"Connect:192.0.2 RELAY\n"                                                                  \
	"To:example.org RELAY\n"                                                                   \
	"Rebuild with makemap hash /etc/mail/access < /etc/mail/access, regenerate sendmail.cf "   \
	"and restart sendmail."

#define CATALOG_EXCHANGE_RELAY_POLICY                                                              \
	"Find connectors that let anonymous clients relay:\n"                                      \
	"Get-ReceiveConnector | Get-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' | "         \
	"Where-Object {$_.ExtendedRights -like 'ms-Exch-SMTP-Accept-Any-Recipient'}\n"             \
	"Remove the right:\n"                                                                      \
	"Remove-ADPermission -Identity '<server>\\<connector>' -User "                             \
	"'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'Ms-Exch-SMTP-Accept-Any-Recipient'\n"    \
	"A connector that must let devices relay anonymously needs -RemoteIPRanges limited to "    \
	"those devices. Also check Get-AcceptedDomain for '*' or outside domains."

#define CATALOG_OPENSMTPD_RELAY_POLICY                                                             \
	"Only local and authenticated senders may reach a relay action; everyone else may only "   \
	"reach your own domains (\"inbound\" being your local delivery action):\n"                 \
	"table domains file:/etc/mail/domains\n"                                                   \
	"action \"outbound\" relay\n"                                                              \
	"match from local for any action \"outbound\"\n"                                           \
	"match auth from any for any action \"outbound\"\n"                                        \
	"match from any for domain <domains> action \"inbound\"\n"                                 \
	"Remove every other rule that leads to a relay action, check the file with smtpd -n and "  \
	"restart smtpd."

#define CATALOG_POSTFIX_NOANONYMOUS                                                                \
	"smtpd_sasl_security_options = noanonymous\n"                                              \
	"smtpd_sasl_tls_security_options = noanonymous\n"                                          \
	"and remove anonymous from the SASL backend (Dovecot auth_mechanisms, Cyrus mech_list)."

#define CATALOG_SENDMAIL_AUTH_OPTIONS "define(`confAUTH_OPTIONS', `p,y')dnl\n"

#define CATALOG_EXIM_AUTH_AFTER_TLS "auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}\n"

#define CATALOG_EXCHANGE_NO_ANONYMOUS                                                              \
	"Exchange Server does not implement the SASL ANONYMOUS mechanism, so another component "   \
	"answers on this port (a gateway, proxy or other MTA in front of Exchange): disable it "   \
	"there. In Exchange itself, unauthenticated mail is governed by the AnonymousUsers "       \
	"permission group (Get-ReceiveConnector | Format-List Identity,PermissionGroups)."

#define CATALOG_OPENSMTPD_FOREIGN_MECHANISM                                                        \
	"OpenSMTPD offers only PLAIN and LOGIN, and only after TLS, so this mechanism is "         \
	"announced by another component answering on this port (a proxy, filter or different "     \
	"MTA): remove it there."

/* clang-format off: it would fold each entry's first fields onto the name line. */
static const struct catalog_entry catalog_table[CATALOG_COUNT] = {
    CATALOG_ENTRY(
        RELAY_OPEN, .severity = SEVERITY_CRITICAL,
        .title = "Open relay: mail to outside domains accepted from an unauthenticated client",
        .description = "Without authenticating, the scanner named a recipient in a domain this "
                       "server is not responsible for, and the server accepted it instead of "
                       "refusing with 550 or 554 relaying denied. Anyone on the Internet can "
                       "therefore send mail through this server to any third party. Spammers and "
                       "phishers find open relays by automated scanning within hours, hide their "
                       "origin behind them and spend the server's reputation, which puts its "
                       "addresses on blocklists and gets the organisation's own mail refused.",
        .remediation = "Permit relaying only for clients that authenticated over TLS and for "
                       "explicitly listed internal networks, and accept mail from everyone else "
                       "only for the domains this server is the destination or backup MX for. "
                       "Afterwards re-run the scan and check the server's addresses against "
                       "public blocklists.",
        .advice =
            {
                [MTA_POSTFIX] = CATALOG_POSTFIX_RELAY_POLICY,
                [MTA_EXIM] = CATALOG_EXIM_RELAY_POLICY,
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_RELAY_POLICY,
                [MTA_EXCHANGE] = CATALOG_EXCHANGE_RELAY_POLICY,
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_RELAY_POLICY,
            },
        .references = "RFC 5321 sections 3.6 and 7.9; RFC 2505 (BCP 30) section 2; "
                      "RFC 5068 (BCP 134); CVE-1999-0512"),

    CATALOG_ENTRY(
        RELAY_ADDRESS_TRICK, .severity = SEVERITY_HIGH,
        .title = "Relay restriction bypassed with a disguised outside recipient address",
        .description =
            "The server refused plain relaying but accepted a recipient that hides an "
            "outside destination (the variant names the form): a percent hack "
            "(user%outside@this-host), a quoted local part (\"user@outside\"@this-host), "
            "a double @ (user@outside@this-host), a source route "
            "(@this-host:user@outside), a bang path (outside!user@this-host), or an "
            "outside domain spelled with a trailing dot or different case. When such an "
            "address is rewritten, or handed to a next hop that parses it differently, "
            "the message leaves for the outside domain: an open relay reached by syntax. "
            "These forms are among the first that relay testers and spammers try, and "
            "they mostly hit backup MX and gateway setups where one hop checks the "
            "address and the next one interprets it.",
        .remediation = "Decide relaying on the recipient exactly as it will be routed, and refuse "
                       "local parts that carry routing characters (%, !, @ or quotes hiding them) "
                       "and source routes unless your own users really need these legacy forms. "
                       "Apply the same policy on every hop, including backup MX hosts and "
                       "gateways.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "reject_unauth_destination already refuses sender-specified routing; "
                    "keep the safe defaults and make sure nothing permits the recipient "
                    "before it:\n"
                    "resolve_dequoted_address = yes\n"
                    "allow_untrusted_routing = no\n"
                    "Unless local users need them, also set:\n"
                    "allow_percent_hack = no\n"
                    "swap_bangpath = no\n"
                    "Check relay_domains and transport_maps for destinations handed to "
                    "other MTAs, then run postfix reload.",
                [MTA_EXIM] = "Keep the default ACL rule that refuses routing characters in local "
                             "parts (and its twin for domains = !+local_domains):\n"
                             "deny    message     = Restricted characters in address\n"
                             "        domains     = +local_domains\n"
                             "        local_parts = ^[.] : ^.*[@%!/|]\n"
                             "Leave percent_hack_domains and allow_domain_literals unset, and keep "
                             "require domains = +local_domains : +relay_to_domains after it.",
                [MTA_SENDMAIL] =
                    "Do not use FEATURE(`loose_relay_check'), which permits percent-hack "
                    "relaying. Refuse bang paths with\n"
                    "FEATURE(`nouucp', `reject')dnl\n"
                    "and declare it on every host that forwards mail to this one as well. "
                    "Regenerate sendmail.cf and restart sendmail.",
                [MTA_EXCHANGE] =
                    "Exchange has no setting for these address forms; what it accepts for "
                    "outside domains follows from its accepted domains and relay "
                    "permissions. Check Get-AcceptedDomain for '*' or outside domains of "
                    "type InternalRelay or ExternalRelay, and remove "
                    "Ms-Exch-SMTP-Accept-Any-Recipient from NT AUTHORITY\\ANONYMOUS LOGON "
                    "on Internet-facing connectors with Remove-ADPermission. If a gateway "
                    "in front of Exchange accepted the address, fix it there.",
                [MTA_OPENSMTPD] =
                    "Rules for outside senders must match only your own domains:\n"
                    "match from any for domain <domains> action \"inbound\"\n"
                    "A rule that combines from any with for any accepts every recipient "
                    "form: remove it, check the file with smtpd -n and restart smtpd.",
            },
        .references = "RFC 5321 sections 3.6.1, 4.1.2 and Appendix C; RFC 976; "
                      "RFC 2505 (BCP 30) section 2; CVE-1999-0682"),

    CATALOG_ENTRY(
        RELAY_SUSPECTED, .severity = SEVERITY_MEDIUM,
        .title = "Every recipient accepted, even a non-existent user and a .invalid domain",
        .description =
            "The server answered 250 to every RCPT TO, including two controls that a "
            "server validating its recipients refuses: a made-up user in its own domain and a "
            "domain under .invalid, which RFC 6761 guarantees never exists. Without "
            "sending a message (DATA) the scan cannot tell whether outside recipients "
            "would really be relayed or bounced later, so relaying is only suspected; "
            "the opt-in canary test (SMTP-RELAY-004) settles it. Even if nothing is "
            "relayed, accepting mail that cannot be delivered sends non-delivery reports "
            "to forged senders (backscatter), which gets the server blocklisted.",
        .remediation = "Validate recipients during the SMTP dialogue: refuse unknown local users "
                       "and non-existent domains with a 5xx reply to RCPT TO, so that nothing is "
                       "accepted that would later bounce. If a gateway accepts mail for this "
                       "server, give it the list of valid recipients.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "Refuse unknown recipients at RCPT TO:\n"
                    "smtpd_reject_unlisted_recipient = yes\n"
                    "Keep local_recipient_maps non-empty (its default), give relay_domains "
                    "a relay_recipient_maps, and remove luser_relay and catch-all @domain "
                    "entries in virtual_alias_maps unless intended. Domains without DNS "
                    "records, such as .invalid, are refused by\n"
                    "smtpd_recipient_restrictions = ..., reject_unknown_recipient_domain",
                [MTA_EXIM] = "Verify every recipient in acl_smtp_rcpt:\n"
                             "require verify = recipient\n"
                             "A manualroute (smarthost) router routes every domain, so keep the "
                             "require domains = +local_domains : +relay_to_domains check in front "
                             "of it; for relay_to_domains verify against the next hop with\n"
                             "require verify = recipient/callout=30s,defer_ok\n"
                             "Remove catch-all redirect routers unless intended.",
                [MTA_SENDMAIL] =
                    "sendmail refuses unknown local users at RCPT TO unless LUSER_RELAY "
                    "or a catch-all @domain entry in virtusertable takes them: remove those "
                    "unless intended. Accepting any domain comes from "
                    "FEATURE(`promiscuous_relay') or broad Connect: RELAY entries in the "
                    "access database: remove them, rebuild the maps and sendmail.cf.",
                [MTA_EXCHANGE] =
                    "Refuse unknown recipients with the Recipient Filter agent (Edge "
                    "Transport, or Mailbox servers after Install-AntiSpamAgents.ps1):\n"
                    "Set-RecipientFilterConfig -Enabled $true -RecipientValidationEnabled "
                    "$true\n"
                    "Domains hosted here must be Authoritative accepted domains; a '*' "
                    "accepted domain or an anonymous Ms-Exch-SMTP-Accept-Any-Recipient "
                    "permission makes Exchange accept any domain.",
                [MTA_OPENSMTPD] =
                    "Accept only recipients that exist, with a virtual table without a "
                    "catch-all entry:\n"
                    "table virtuals file:/etc/mail/virtuals\n"
                    "action \"inbound\" maildir virtual <virtuals>\n"
                    "match from any for domain <domains> action \"inbound\"\n"
                    "and make sure no rule matches from any for any.",
            },
        .references = "RFC 5321 sections 3.3 and 6.2; RFC 6761 section 6.4"),

    CATALOG_ENTRY(
        RELAY_CANARY_DELIVERED, .severity = SEVERITY_CRITICAL,
        .title = "Relay proven: a test message sent through the server reached an outside mailbox",
        .description =
            "With the opt-in delivery test enabled, the scanner sent a uniquely tagged "
            "canary message through this server without authenticating, addressed to an "
            "outside mailbox the scan controls, and that message arrived. This is "
            "end-to-end proof that the server relays mail for anyone, not an inference "
            "from SMTP replies. Open relays are abused for spam and phishing within hours "
            "of being found, which puts the server's addresses on blocklists and gets the "
            "organisation's own mail refused.",
        .remediation =
            "Close relaying now: permit it only for authenticated clients and explicitly "
            "listed internal networks. Then remove mail that others relayed from the "
            "queue, and request delisting from blocklists once the relay is closed.",
        .advice =
            {
                [MTA_POSTFIX] = CATALOG_POSTFIX_RELAY_POLICY
                "\n"
                "List the queue with mailq and delete relayed messages with "
                "postsuper -d <queue id>.",
                [MTA_EXIM] = CATALOG_EXIM_RELAY_POLICY
                "\n"
                "List the queue with exim -bp and delete relayed messages with "
                "exim -Mrm <message id>.",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_RELAY_POLICY
                "\n"
                "List the queue with mailq and remove the qf and df files of relayed "
                "messages from the queue directory (/var/spool/mqueue) while sendmail "
                "is stopped.",
                [MTA_EXCHANGE] = CATALOG_EXCHANGE_RELAY_POLICY
                "\n"
                "Review the queues with Get-Queue and Get-Message, and delete relayed "
                "messages with Remove-Message -Identity <message> -WithNDR $false.",
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_RELAY_POLICY
                "\n"
                "List the queue with smtpctl show queue and delete relayed messages "
                "with smtpctl remove <envelope or message id>.",
            },
        .references = "RFC 5321 sections 3.6 and 7.9; RFC 2505 (BCP 30) section 2; "
                      "CVE-1999-0512"),

    CATALOG_ENTRY(
        AUTH_CLEARTEXT_SUBMISSION, .severity = SEVERITY_HIGH,
        .title = "Submission port processes passwords over an unencrypted connection",
        .description = "On the submission port (587) the server processed AUTH PLAIN or AUTH LOGIN "
                       "before STARTTLS: it asked for the credentials (334) or judged them (535) "
                       "instead of refusing the command in cleartext. Mail clients that are "
                       "misconfigured, or that an attacker on the path downgrades by stripping "
                       "STARTTLS from the EHLO reply, then send user names and passwords readable "
                       "by anyone on the path. PLAIN and LOGIN only base64-encode the password; "
                       "that is not encryption.",
        .remediation = "Require TLS before authentication on every port that accepts AUTH: offer "
                       "PLAIN and LOGIN only after STARTTLS or on the implicit TLS port 465, and "
                       "answer AUTH in cleartext with 530 or 538. Prefer implicit TLS for "
                       "submission, as RFC 8314 recommends.",
        .advice =
            {
                [MTA_POSTFIX] = "main.cf:\n"
                                "smtpd_tls_auth_only = yes\n"
                                "smtpd_sasl_security_options = noanonymous, noplaintext\n"
                                "smtpd_sasl_tls_security_options = noanonymous\n"
                                "and in master.cf the submission service should carry\n"
                                "  -o smtpd_tls_security_level=encrypt\n"
                                "Then run postfix reload.",
                [MTA_EXIM] = "Advertise AUTH only on encrypted connections (main "
                             "section):\n" CATALOG_EXIM_AUTH_AFTER_TLS
                             "or per authenticator: server_advertise_condition = "
                             "${if def:tls_in_cipher}\n"
                             "Exim refuses AUTH it did not advertise. Before Exim 4.80 the "
                             "variable is $tls_cipher.",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_AUTH_OPTIONS
                "p permits PLAIN and LOGIN only while a security layer such as "
                "STARTTLS is active, y forbids anonymous mechanisms. Regenerate "
                "sendmail.cf and restart sendmail.",
                [MTA_EXCHANGE] =
                    "Get-ReceiveConnector | Format-List Identity,Bindings,AuthMechanism\n"
                    "On the connector bound to port 587 add BasicAuthRequireTLS and keep "
                    "the values it already has, e.g.\n"
                    "Set-ReceiveConnector '<server>\\Client Frontend <server>' "
                    "-AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS",
                [MTA_OPENSMTPD] =
                    "OpenSMTPD announces AUTH only after TLS, so cleartext authentication "
                    "on this port comes from another component (a proxy or different "
                    "MTA): fix it there. For OpenSMTPD itself use\n"
                    "listen on <interface> port 587 tls-require pki <pkiname> auth\n"
                    "or implicit TLS: listen on <interface> smtps pki <pkiname> auth",
            },
        .references = "RFC 8314; RFC 4954 sections 4 and 6; RFC 4616; RFC 6409; RFC 3207"),

    CATALOG_ENTRY(
        AUTH_CLEARTEXT_MX, .severity = SEVERITY_MEDIUM,
        .title = "Server processes passwords over an unencrypted connection",
        .description =
            "On this port (25 or another port that is not the submission port) the "
            "server processed AUTH PLAIN or AUTH LOGIN before STARTTLS, asking for (334) "
            "or judging (535) the credentials rather than refusing the command in "
            "cleartext. A client that authenticates here without TLS, by "
            "misconfiguration or because an attacker on the path stripped STARTTLS, "
            "exposes its user name and password, which are only base64-encoded. Port 25 "
            "is also where password-guessing bots connect, and they can try credentials "
            "without negotiating TLS.",
        .remediation =
            "Offer authentication only after STARTTLS, or not at all on ports meant for "
            "server-to-server mail, and answer AUTH in cleartext with 530 or 538. Direct "
            "users to the submission port 587 or the implicit TLS port 465.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "main.cf:\n"
                    "smtpd_tls_auth_only = yes\n"
                    "or switch AUTH off on port 25 by adding -o smtpd_sasl_auth_enable=no "
                    "to the smtp service in master.cf, and let users authenticate on "
                    "submission only. Then run postfix reload.",
                [MTA_EXIM] = CATALOG_EXIM_AUTH_AFTER_TLS
                "hides AUTH until TLS is active, and Exim refuses AUTH it did not "
                "advertise. To refuse it explicitly:\n"
                "acl_smtp_auth = acl_check_auth\n"
                "acl_check_auth:\n"
                "  deny    message   = TLS required for AUTH\n"
                "          !encrypted = *\n"
                "  accept",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_AUTH_OPTIONS
                "keeps PLAIN and LOGIN off until STARTTLS is active. To stop offering "
                "AUTH on port 25 at all, give the MTA daemon the A modifier:\n"
                "DAEMON_OPTIONS(`Port=smtp, Name=MTA, M=A')dnl\n"
                "Regenerate sendmail.cf and restart sendmail.",
                [MTA_EXCHANGE] =
                    "Get-ReceiveConnector | Format-List Identity,Bindings,AuthMechanism\n"
                    "On the connector bound to this port add BasicAuthRequireTLS, or remove "
                    "BasicAuth if no client authenticates there; -AuthMechanism replaces "
                    "the whole list, so repeat the values the connector already has:\n"
                    "Set-ReceiveConnector '<server>\\Default Frontend <server>' "
                    "-AuthMechanism <current values>,BasicAuthRequireTLS",
                [MTA_OPENSMTPD] =
                    "OpenSMTPD announces AUTH only after TLS, so cleartext authentication "
                    "on this port comes from another component (a proxy or different "
                    "MTA): fix it there. If users must authenticate on port 25, use\n"
                    "listen on <interface> tls pki <pkiname> auth-optional",
            },
        .references = "RFC 4954 sections 4 and 6; RFC 3207; RFC 8314"),

    CATALOG_ENTRY(
        AUTH_ADVERTISED_CLEARTEXT, .severity = SEVERITY_LOW,
        .title = "Password mechanisms advertised before STARTTLS but refused in cleartext",
        .description =
            "The EHLO reply on the unencrypted connection lists AUTH with PLAIN or LOGIN, "
            "yet the server refused these mechanisms before STARTTLS (538, 530, 504 or "
            "454), so no credentials were exposed to the scan. The advertisement still "
            "invites clients to authenticate without TLS, and a client that sends AUTH "
            "PLAIN with an initial response puts its password on the wire in the same "
            "line as the command, before the server can refuse it.",
        .remediation =
            "Advertise PLAIN and LOGIN only after STARTTLS has completed, so that clients "
            "never see them on an unencrypted connection.",
        .advice =
            {
                [MTA_POSTFIX] = "smtpd_tls_auth_only = yes\n"
                                "hides AUTH until TLS is active. Then run postfix reload.",
                [MTA_EXIM] = CATALOG_EXIM_AUTH_AFTER_TLS
                "or server_advertise_condition = ${if def:tls_in_cipher} on the "
                "plaintext authenticators that serve PLAIN and LOGIN.",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_AUTH_OPTIONS
                "makes sendmail list PLAIN and LOGIN only once a security layer such "
                "as STARTTLS is active. Regenerate sendmail.cf and restart sendmail.",
                [MTA_EXCHANGE] =
                    "With BasicAuthRequireTLS in a connector's AuthMechanism, Exchange "
                    "lists LOGIN only after STARTTLS. -AuthMechanism replaces the whole "
                    "list, so repeat the values the connector already has:\n"
                    "Set-ReceiveConnector '<server>\\<connector>' "
                    "-AuthMechanism <current values>,BasicAuthRequireTLS",
                [MTA_OPENSMTPD] =
                    "OpenSMTPD lists AUTH only after TLS, so another component answers on "
                    "this port (a proxy or different MTA): configure it to advertise AUTH "
                    "only after STARTTLS.",
            },
        .references = "RFC 4954 sections 4 and 6; RFC 4616; RFC 8314"),

    CATALOG_ENTRY(
        AUTH_ANONYMOUS_ADVERTISED, .severity = SEVERITY_LOW,
        .title = "SASL ANONYMOUS mechanism advertised",
        .description = "The server lists ANONYMOUS among its AUTH mechanisms, although it refused "
                       "the scanner's anonymous login. ANONYMOUS (RFC 4505) authenticates nobody "
                       "and has no use on an SMTP server; it usually appears because the SASL "
                       "library offers every mechanism it has installed. It stays harmless only as "
                       "long as the backend keeps refusing it and every policy treats anonymous "
                       "sessions as unauthenticated.",
        .remediation = "Remove ANONYMOUS from the mechanisms the SMTP service offers.",
        .advice =
            {
                [MTA_POSTFIX] = CATALOG_POSTFIX_NOANONYMOUS " Then run postfix reload.",
                [MTA_EXIM] = "Remove the authenticator whose public_name is ANONYMOUS, or the "
                             "ANONYMOUS mechanism from the cyrus_sasl or dovecot authenticator "
                             "that offers it.",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_AUTH_OPTIONS
                "(y forbids anonymous mechanisms) and leave ANONYMOUS out of "
                "confAUTH_MECHANISMS, e.g.\n"
                "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl",
                [MTA_EXCHANGE] = CATALOG_EXCHANGE_NO_ANONYMOUS,
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_FOREIGN_MECHANISM,
            },
        .references = "RFC 4505; RFC 4954 section 4"),

    CATALOG_ENTRY(
        AUTH_ANONYMOUS_ACCEPTED, .severity = SEVERITY_CRITICAL,
        .title = "Anonymous SMTP authentication succeeds",
        .description = "The scanner sent AUTH ANONYMOUS with an arbitrary trace string and the "
                       "server answered 235, treating the session as authenticated. Relay and "
                       "submission rules commonly trust every authenticated session, so anyone can "
                       "gain the rights of a logged-in user without credentials; whether outside "
                       "recipients are then accepted is reported separately (SMTP-AUTH-006). Even "
                       "where relaying is refused, anonymous logins defeat per-user limits, sender "
                       "checks and accountability.",
        .remediation =
            "Disable the ANONYMOUS mechanism on the SMTP service, and make sure relay and "
            "submission rules trust only sessions authenticated with real credentials.",
        .advice =
            {
                [MTA_POSTFIX] = CATALOG_POSTFIX_NOANONYMOUS
                " permit_sasl_authenticated ignores anonymous logins, but policy "
                "services and other restrictions may not. Then run postfix reload.",
                [MTA_EXIM] = "Remove the authenticator whose public_name is ANONYMOUS, or the "
                             "mechanism from the cyrus_sasl or dovecot authenticator that offers "
                             "it. Exim counts any successful authenticator as authenticated = *, "
                             "so the default relay rule would admit anonymous clients.",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_AUTH_OPTIONS
                "(y forbids anonymous mechanisms), and leave ANONYMOUS out of "
                "confAUTH_MECHANISMS and TRUST_AUTH_MECH, e.g.\n"
                "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl",
                [MTA_EXCHANGE] = CATALOG_EXCHANGE_NO_ANONYMOUS,
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_FOREIGN_MECHANISM,
            },
        .references = "RFC 4505; RFC 4954 sections 4 and 6"),

    CATALOG_ENTRY(
        AUTH_ANONYMOUS_RELAY, .severity = SEVERITY_CRITICAL,
        .title = "Anonymous login grants relaying to outside domains",
        .description = "After a successful AUTH ANONYMOUS, which needs no credentials, the server "
                       "accepted recipients in outside domains. That is an open relay behind one "
                       "extra command, which spam tools send routinely. The abuse appears as "
                       "authenticated mail in the server's logs and headers, which delays "
                       "detection.",
        .remediation = "Disable anonymous authentication and grant relaying only to sessions "
                       "authenticated with real credentials or to listed internal networks; then "
                       "check the queue and logs for mail that was relayed.",
        .advice =
            {
                [MTA_POSTFIX] = CATALOG_POSTFIX_NOANONYMOUS
                " permit_sasl_authenticated ignores anonymous logins, so find what "
                "else permitted the recipient:\n"
                "postconf smtpd_relay_restrictions smtpd_recipient_restrictions\n"
                "and check policy services and check_*_access tables that return OK.",
                [MTA_EXIM] = "Remove the authenticator whose public_name is ANONYMOUS, or the "
                             "mechanism from the cyrus_sasl or dovecot authenticator that offers "
                             "it: the relay rule accept authenticated = * trusts every "
                             "authenticator that succeeds.",
                [MTA_SENDMAIL] = CATALOG_SENDMAIL_AUTH_OPTIONS
                "and keep ANONYMOUS out of confAUTH_MECHANISMS and of the mechanisms "
                "allowed to relay, e.g.\n"
                "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"
                "Regenerate sendmail.cf and restart sendmail.",
                [MTA_EXCHANGE] = CATALOG_EXCHANGE_NO_ANONYMOUS
                "\n"
                "Also remove Ms-Exch-SMTP-Accept-Any-Recipient from "
                "NT AUTHORITY\\ANONYMOUS LOGON on Internet-facing connectors "
                "(Remove-ADPermission).",
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_FOREIGN_MECHANISM
                "\n"
                "Relaying in OpenSMTPD should follow only real logins:\n"
                "match auth from any for any action \"outbound\"",
            },
        .references = "RFC 4505; RFC 4954 section 4; RFC 5321 section 7.9; "
                      "RFC 2505 (BCP 30) section 2"),

    CATALOG_ENTRY(
        AUTH_WEAK_CHALLENGE, .severity = SEVERITY_MEDIUM,
        .title = "Legacy challenge-response mechanism offered (CRAM-MD5 or DIGEST-MD5)",
        .description =
            "The server advertises CRAM-MD5 or DIGEST-MD5 (the variant names which). "
            "Both require the server to keep every password in plaintext or a "
            "plaintext-equivalent form, so one leak of the password store exposes all "
            "accounts, and RFC 6331 moved DIGEST-MD5 to Historic for this and other "
            "flaws. A captured CRAM-MD5 exchange is open to an offline dictionary attack "
            "on its HMAC-MD5 response, and because the mechanisms look safe without TLS, "
            "clients use them on unencrypted connections.",
        .remediation = "Stop offering CRAM-MD5 and DIGEST-MD5; offer PLAIN or LOGIN only over TLS, "
                       "or SCRAM where clients support it, and store passwords with a modern "
                       "one-way hash.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "Postfix offers what its SASL backend offers. Remove the mechanisms "
                    "there (Dovecot auth_mechanisms = plain login, Cyrus mech_list: plain "
                    "login) or filter them (Postfix 3.6 and later):\n"
                    "smtpd_sasl_mechanism_filter = !external, !cram-md5, !digest-md5, "
                    "static:rest",
                [MTA_EXIM] = "Remove the cram_md5 authenticator (driver = cram_md5) and any "
                             "cyrus_sasl, dovecot or gsasl authenticator whose public_name is "
                             "CRAM-MD5 or DIGEST-MD5; serve PLAIN and LOGIN with plaintext "
                             "authenticators advertised only after TLS.",
                [MTA_SENDMAIL] = "List only the mechanisms you want, offered only under TLS:\n"
                                 "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
                                 "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n" CATALOG_SENDMAIL_AUTH_OPTIONS
                                 "and set mech_list: plain login in the Cyrus SASL Sendmail.conf.",
                [MTA_EXCHANGE] =
                    "Exchange receive connectors do not offer CRAM-MD5 or DIGEST-MD5, so "
                    "another component answers on this port (a gateway, proxy or other "
                    "MTA in front of Exchange): remove the mechanism there.",
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_FOREIGN_MECHANISM,
            },
        .references = "RFC 2195; RFC 6331; RFC 5802; RFC 4954"),

    CATALOG_ENTRY(
        AUTH_NTLM_DISCLOSURE, .severity = SEVERITY_MEDIUM,
        .title = "NTLM authentication offered to unauthenticated clients",
        .description = "The server offers AUTH NTLM to any client. In answer to an NTLM NEGOTIATE "
                       "message it returns a CHALLENGE message whose target information discloses "
                       "the internal NetBIOS and DNS domain and host names and the Windows build "
                       "number, without any credentials. That maps the internal network and its "
                       "patch level for an attacker, and an Internet-facing NTLM endpoint invites "
                       "password spraying and can be the target of NTLM relay attacks.",
        .remediation = "Do not offer NTLM (Integrated Windows authentication) on Internet-facing "
                       "SMTP services; keep it only where the service is restricted to internal "
                       "networks, and let Internet clients use PLAIN or LOGIN over TLS or modern "
                       "authentication.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "Postfix offers what its SASL backend offers: remove ntlm from Dovecot "
                    "auth_mechanisms or Cyrus mech_list, or filter it (Postfix 3.6 and "
                    "later):\n"
                    "smtpd_sasl_mechanism_filter = !external, !ntlm, static:rest",
                [MTA_EXIM] =
                    "Remove the spa authenticator that serves NTLM (driver = spa) and NTLM "
                    "from any cyrus_sasl or dovecot authenticator, or advertise it only to "
                    "internal hosts, e.g.\n"
                    "server_advertise_condition = "
                    "${if match_ip{$sender_host_address}{192.0.2.0/24}}",
                [MTA_SENDMAIL] =
                    "Leave NTLM out of confAUTH_MECHANISMS and out of mech_list in the "
                    "Cyrus SASL Sendmail.conf, e.g.\n"
                    "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl",
                [MTA_EXCHANGE] =
                    "Integrated in a receive connector's AuthMechanism is what offers "
                    "NTLM. Find the connectors:\n"
                    "Get-ReceiveConnector | Format-List "
                    "Identity,Bindings,RemoteIPRanges,AuthMechanism\n"
                    "and remove Integrated from those reachable from the Internet; "
                    "-AuthMechanism replaces the whole list, so repeat the other values:\n"
                    "Set-ReceiveConnector '<server>\\Default Frontend <server>' "
                    "-AuthMechanism <current values without Integrated>\n"
                    "Keep Integrated only on connectors whose RemoteIPRanges cover internal "
                    "networks.",
                [MTA_OPENSMTPD] = CATALOG_OPENSMTPD_FOREIGN_MECHANISM,
            },
        .references = "MS-NLMP sections 2.2.1.2 (CHALLENGE_MESSAGE), 2.2.2.1 (AV_PAIR) "
                      "and 2.2.2.10 (VERSION); MS-SMTPNTLM; RFC 4954"),

    CATALOG_ENTRY(
        HELO_INVALID_ACCEPTED, .severity = SEVERITY_LOW,
        .title = "Syntactically invalid HELO/EHLO name accepted",
        .description = "A client that greeted with an invalid name got as far as RCPT TO: an empty "
                       "argument, a name without a dot, illegal characters, a bare IP address "
                       "without brackets, a malformed address literal or an over-long name. RFC "
                       "5321 section 4.1.1.1 asks for a fully qualified domain name or an address "
                       "literal, as RFC 1123 section 5.2.5 did before; real mail servers comply, "
                       "while spam bots and hijacked hosts routinely send junk here. RFC 5321 "
                       "section 4.1.4 only forbids refusing mail because a name fails to match the "
                       "client's address, so invalid syntax remains a cheap and reliable reason to "
                       "refuse, and accepting it lets such clients past HELO-based filters.",
        .remediation = "Require HELO or EHLO before MAIL and refuse names that are not a "
                       "syntactically valid fully qualified domain name or address literal; exempt "
                       "internal networks and authenticated users if some of their clients are "
                       "misconfigured.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "smtpd_helo_required = yes\n"
                    "smtpd_helo_restrictions = permit_mynetworks, "
                    "permit_sasl_authenticated, reject_invalid_helo_hostname, "
                    "reject_non_fqdn_helo_hostname\n"
                    "With the default smtpd_delay_reject = yes the rejection comes at RCPT "
                    "TO. Then run postfix reload.",
                [MTA_EXIM] =
                    "Exim refuses HELO syntax errors itself unless the client matches "
                    "helo_accept_junk_hosts; leave that and helo_allow_chars unset. Refuse "
                    "bare addresses and names without a dot in a HELO ACL:\n"
                    "acl_smtp_helo = acl_check_helo\n"
                    "acl_check_helo:\n"
                    "  accept  hosts     = : +relay_from_hosts\n"
                    "  deny    message   = Invalid HELO name\n"
                    "          condition = ${if isip{$sender_helo_name}}\n"
                    "  deny    message   = HELO name must be fully qualified\n"
                    "          condition = ${if !match{$sender_helo_name}{\\N^\\[|\\.\\N}}\n"
                    "  accept",
                [MTA_SENDMAIL] =
                    "FEATURE(`block_bad_helo')dnl\n"
                    "(sendmail 8.14 and later) refuses unqualified HELO names; "
                    "authenticated clients and RELAY_DOMAIN hosts are exempt. Keep "
                    "confALLOW_BOGUS_HELO unset so an empty HELO is refused, and require "
                    "a greeting with\n"
                    "define(`confPRIVACY_FLAGS', `authwarnings,needmailhelo')dnl",
                [MTA_EXCHANGE] =
                    "Exchange Server has no receive connector setting that refuses clients "
                    "by their HELO/EHLO name. Enforce the check at an SMTP gateway or "
                    "filtering service in front of Exchange, or with a transport agent.",
                [MTA_OPENSMTPD] =
                    "Refuse bad names with filters on the helo and ehlo phases and a "
                    "table of regular expressions (/etc/mail/bad-helo with lines such as "
                    "^[^.[]*$ and ^[0-9.]+$):\n"
                    "table badhelo file:/etc/mail/bad-helo\n"
                    "filter \"helo-syntax\" phase helo match helo regex <badhelo> reject "
                    "\"550 5.7.1 Invalid HELO name\"\n"
                    "filter \"ehlo-syntax\" phase ehlo match helo regex <badhelo> reject "
                    "\"550 5.7.1 Invalid HELO name\"\n"
                    "filter \"helo-check\" chain { \"helo-syntax\", \"ehlo-syntax\" }\n"
                    "listen on <interface> tls pki <pkiname> filter \"helo-check\"",
            },
        .references = "RFC 5321 sections 4.1.1.1, 4.1.3 and 4.1.4; RFC 1123 section 5.2.5"),

    CATALOG_ENTRY(
        HELO_IMPERSONATION_ACCEPTED, .severity = SEVERITY_MEDIUM,
        .title = "Client greeting with this server's own identity was accepted",
        .description = "A client greeted with a name it cannot legitimately use, namely this "
                       "server's own host name, its own address literal, localhost, or an address "
                       "literal that differs from the client's real address, and got as far as "
                       "RCPT TO. Spam bots use this trick because naive trust rules (whitelisting "
                       "localhost or the server's own name, header-based scoring, parsing of "
                       "Received lines) then treat the message as internal. No remote client has a "
                       "reason to claim to be the server it is talking to, so refusing these names "
                       "is safe, even though RFC 5321 section 4.1.4 forbids refusing mail merely "
                       "because a name cannot be verified.",
        .remediation = "Refuse HELO/EHLO names that are this server's own names or addresses, "
                       "localhost, or an address literal that does not match the connecting "
                       "client, except from your own internal hosts; never grant trust based on "
                       "the HELO name.",
        .advice =
            {
                [MTA_POSTFIX] =
                    "List the impersonated names in /etc/postfix/helo_access:\n"
                    "mx.example.org  REJECT HELO impersonates this server\n"
                    "localhost       REJECT HELO impersonates this server\n"
                    "[192.0.2.25]    REJECT HELO impersonates this server\n"
                    "smtpd_helo_required = yes\n"
                    "smtpd_helo_restrictions = permit_mynetworks, "
                    "permit_sasl_authenticated, check_helo_access "
                    "hash:/etc/postfix/helo_access\n"
                    "Run postmap /etc/postfix/helo_access and postfix reload. A literal "
                    "that differs from the client's address needs a policy service "
                    "(check_policy_service), which sees helo_name and client_address.",
                [MTA_EXIM] = "acl_smtp_helo = acl_check_helo\n"
                             "acl_check_helo:\n"
                             "  accept  hosts     = : +relay_from_hosts\n"
                             "  deny    message   = HELO impersonates this server\n"
                             "          condition = ${if match_domain{$sender_helo_name}"
                             "{@ : @[] : localhost : +local_domains}}\n"
                             "  accept\n"
                             "For address literals that differ from the client, set "
                             "helo_try_verify_hosts = * and add before the final accept:\n"
                             "  deny    message   = HELO address literal is not your address\n"
                             "          condition = ${if match{$sender_helo_name}{\\N^\\[\\N}}\n"
                             "          !verify   = helo",
                [MTA_SENDMAIL] =
                    "FEATURE(`block_bad_helo')dnl\n"
                    "(sendmail 8.14 and later) refuses HELO names that belong to this "
                    "server (class $=w) or are unqualified; authenticated clients and "
                    "RELAY_DOMAIN hosts are exempt. sendmail has no built-in check that an "
                    "address literal matches the client; use a milter for that.",
                [MTA_EXCHANGE] =
                    "Exchange Server has no receive connector setting that refuses clients "
                    "by their HELO/EHLO name. Enforce the check at an SMTP gateway or "
                    "filtering service in front of Exchange; the names to refuse are the "
                    "connectors' Fqdn values and the server's addresses:\n"
                    "Get-ReceiveConnector | Format-List Identity,Fqdn,Bindings\n"
                    "and do not base trust on the HELO name.",
                [MTA_OPENSMTPD] =
                    "table selfnames { \"mx.example.org\", \"localhost\", \"[192.0.2.25]\" }\n"
                    "filter \"helo-self\" phase helo match helo <selfnames> reject "
                    "\"550 5.7.1 HELO impersonates this server\"\n"
                    "filter \"ehlo-self\" phase ehlo match helo <selfnames> reject "
                    "\"550 5.7.1 HELO impersonates this server\"\n"
                    "filter \"helo-check\" chain { \"helo-self\", \"ehlo-self\" }\n"
                    "listen on <interface> tls pki <pkiname> filter \"helo-check\"\n"
                    "A literal that differs from the client's address needs a filter "
                    "process (filter ... proc-exec).",
            },
        .references = "RFC 5321 sections 4.1.1.1, 4.1.3 and 4.1.4; RFC 1123 section 5.2.5"),
/* The transport and exposure entries, one fragment per probe family. */
#include "catalog_starttls.inc"
#include "catalog_tls_params.inc"
#include "catalog_cert.inc"
#include "catalog_enum.inc"
#include "catalog_expose.inc"
#include "catalog_dns.inc"
#include "catalog_auth_credentials.inc"
#include "catalog_passive.inc"
};
/* clang-format on */

static const char *const severity_names[] = {
    [SEVERITY_INFO] = "info", [SEVERITY_LOW] = "low",           [SEVERITY_MEDIUM] = "medium",
    [SEVERITY_HIGH] = "high", [SEVERITY_CRITICAL] = "critical",
};
_Static_assert(sizeof(severity_names) / sizeof(severity_names[0]) == SEVERITY_COUNT,
               "every severity needs a name");

const struct catalog_entry *catalog_get(enum catalog_id id)
{
	assert((size_t)id < CATALOG_COUNT);
	/* An id without an entry is a build mistake; the catalogue test names it. */
	assert(catalog_table[id].public_id != NULL);
	return &catalog_table[id];
}

const char *catalog_advice(enum catalog_id id, enum mta mta)
{
	const struct catalog_entry *entry = catalog_get(id);

	assert((size_t)mta < MTA_COUNT);
	return entry->advice[mta] ? entry->advice[mta] : entry->remediation;
}

bool catalog_lookup(const char *public_id, enum catalog_id *out)
{
	assert(public_id && out);
	for (size_t i = 0; i < CATALOG_COUNT; i++) {
		if (strcmp(catalog_table[i].public_id, public_id) == 0) {
			*out = (enum catalog_id)i;
			return true;
		}
	}
	return false;
}

const char *severity_name(enum finding_severity sev)
{
	assert((size_t)sev < SEVERITY_COUNT);
	return severity_names[sev];
}

/* Case-insensitive: "--fail-on HIGH" is as clear as "--fail-on high". */
bool severity_parse(const char *text, enum finding_severity *out)
{
	assert(text && out);
	for (size_t i = 0; i < SEVERITY_COUNT; i++) {
		if (strcasecmp(severity_names[i], text) == 0) {
			*out = (enum finding_severity)i;
			return true;
		}
	}
	return false;
}
