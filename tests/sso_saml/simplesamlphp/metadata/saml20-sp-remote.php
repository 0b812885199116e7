<?php
// Our service provider, one entry per provider id the tests configure.
foreach (@@SP_IDS@@ as $id) {
    $metadata["@@SP_BASE@@/auth/saml/$id/metadata"] = [
        'AssertionConsumerService' => "@@SP_BASE@@/auth/saml/$id/acs",
        'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
        'saml20.sign.assertion' => true,
        'saml20.sign.response' => false,
        'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    ];
}
